/**
 * Maps whatever WebLLM (or the browser under it) throws onto our error codes,
 * with messages that tell a person what to do next. Switches on `err.name`
 * and message text rather than `instanceof`: web-llm sets a distinct name on
 * each error class (lib/error.d.ts), and DOMExceptions/TypeErrors from fetch,
 * Cache API and IndexedDB only differ by name and message.
 */
import { InferenceError } from '../src/errors'

export interface ErrorContext {
  readonly modelId?: string
  readonly action: 'load' | 'generate' | 'cache'
}

function describe(err: unknown): { name: string; message: string } {
  if (err instanceof Error) return { name: err.name, message: err.message }
  if (err !== null && typeof err === 'object' && 'name' in err) {
    const e = err as { name?: unknown; message?: unknown }
    return { name: String(e.name), message: String(e.message ?? '') }
  }
  // web-llm aborts reloads with a plain string reason ("Engine.unload() is called.").
  return { name: typeof err, message: String(err) }
}

const NAMES: Record<string, InferenceError['code']> = {
  WebGPUNotAvailableError: 'WEBGPU_UNAVAILABLE',
  WebGPUNotFoundError: 'WEBGPU_UNAVAILABLE',
  DeviceLostError: 'DEVICE_LOST',
  QuotaExceededError: 'QUOTA_EXCEEDED',
  ModelNotFoundError: 'MODEL_NOT_FOUND',
  ModelNotLoadedError: 'NOT_LOADED',
  WorkerEngineModelNotLoadedError: 'NOT_LOADED',
  EngineNotLoadedError: 'NOT_LOADED',
  AbortError: 'ABORTED',
  ShaderF16SupportError: 'BAD_REQUEST',
  FeatureSupportError: 'BAD_REQUEST',
  ContextWindowSizeExceededError: 'BAD_REQUEST',
  ConfigValueError: 'BAD_REQUEST',
  InvalidResponseFormatError: 'BAD_REQUEST',
  GrammarMatcherInitError: 'BAD_REQUEST',
  MessageOrderError: 'BAD_REQUEST',
  SystemMessageOrderError: 'BAD_REQUEST',
  UnsupportedRoleError: 'BAD_REQUEST',
  IntegrityError: 'DOWNLOAD_FAILED',
  MissingModelError: 'DOWNLOAD_FAILED',
  CompileError: 'DOWNLOAD_FAILED',
}

function classify(name: string, message: string): InferenceError['code'] {
  const named = NAMES[name]
  if (named) return named
  if (/quota/i.test(`${name} ${message}`)) return 'QUOTA_EXCEEDED'
  if (/device (was |is )?lost|GPUDevice.*lost/i.test(message)) return 'DEVICE_LOST'
  if (/unload\(\) is called|aborted|AbortError/i.test(message)) return 'ABORTED'
  if (/WebGPU is not supported|Cannot find WebGPU|no WebGPU/i.test(message)) return 'WEBGPU_UNAVAILABLE'
  if (/Failed to fetch|NetworkError|Request failed|Cannot fetch|Failed to store|Unable to fetch|Network response|received status|load failed/i.test(message)) {
    return 'DOWNLOAD_FAILED'
  }
  return 'INTERNAL'
}

function advice(code: InferenceError['code'], model: string, detail: string): string {
  switch (code) {
    case 'WEBGPU_UNAVAILABLE':
      return `WebGPU is unavailable in this browser, so ${model} cannot run here. Use Chrome/Edge 113+ with WebGPU enabled (see chrome://gpu). (${detail})`
    case 'DEVICE_LOST':
      return `The GPU was lost while running ${model}, usually because it ran out of memory. Try a smaller model or a -1k context variant, and close other GPU-heavy tabs. (${detail})`
    case 'QUOTA_EXCEEDED':
      return `Browser storage is full, so ${model} could not be cached. Delete cached models you no longer need (node panel → cache) or free disk space, then retry. (${detail})`
    case 'MODEL_NOT_FOUND':
      return `${model} is not in this engine's catalog or mirror. Pick another model or check the ?models= mirror. (${detail})`
    case 'NOT_LOADED':
      return `No model is loaded. Load a model first. (${detail})`
    case 'ABORTED':
      return `The operation on ${model} was cancelled.`
    case 'DOWNLOAD_FAILED':
      return `Downloading ${model} failed. Check your connection (or that the ?models= mirror has every file), then retry; finished files stay cached. (${detail})`
    case 'BAD_REQUEST':
      return `${model} rejected the request: ${detail}`
    default:
      return `The engine failed unexpectedly with ${model}: ${detail}`
  }
}

export function mapWebLlmError(err: unknown, ctx: ErrorContext): InferenceError {
  if (err instanceof InferenceError) return err
  const { name, message } = describe(err)
  const code = classify(name, message)
  const detail = name && name !== 'string' && name !== 'Error' ? `${name}: ${message}` : message
  return new InferenceError(code, advice(code, ctx.modelId ?? 'the model', detail))
}
