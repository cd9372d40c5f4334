/**
 * Maps what transformers.js and ONNX Runtime Web throw onto our error codes,
 * with messages that say what to do next. Like webllm-errors.ts it switches
 * on `err.name` and message text: transformers.js names only
 * ModelFileNotFoundError (401/403/404 from the hub or mirror, or a local file
 * that is missing); everything else is a plain Error, a TypeError from fetch,
 * a DOMException, or an ORT message string.
 */
import { InferenceError, type InferenceErrorCode } from '../src/errors'

export interface TransformersErrorContext {
  readonly modelId: string
  readonly action: 'load' | 'generate' | 'cache'
  readonly device: 'webgpu' | 'wasm'
  /** Where the model's files come from, for messages about missing files. */
  readonly source?: string
}

function describe(err: unknown): { name: string; message: string } {
  if (err instanceof Error) return { name: err.name, message: err.message }
  if (err !== null && typeof err === 'object' && 'message' in err) {
    const e = err as { name?: unknown; message?: unknown }
    return { name: String(e.name ?? ''), message: String(e.message) }
  }
  // ORT's wasm glue sometimes throws bare numbers or strings (e.g. an Emscripten abort).
  return { name: typeof err, message: String(err) }
}

export function classifyTransformersError(name: string, message: string): InferenceErrorCode {
  const text = `${name}: ${message}`
  if (name === 'ModelFileNotFoundError' || /Could not locate file|file was not found locally|Unauthorized access to file|Forbidden access to file/i.test(message)) {
    return 'MODEL_NOT_FOUND'
  }
  if (name === 'AbortError' || /aborted|The user aborted/i.test(message)) return 'ABORTED'
  if (/quota/i.test(text)) return 'QUOTA_EXCEEDED'
  if (/device (was |is )?lost|GPUDevice.*lost|DeviceLost/i.test(message)) return 'DEVICE_LOST'
  // Out of memory: on WASM the linear memory cannot grow; on WebGPU a buffer allocation fails.
  if (/out of memory|\bOOM\b|allocation failed|could not allocate|Cannot enlarge memory|RangeError: Array buffer/i.test(text)) return 'DEVICE_LOST'
  if (/webgpu is not (supported|available)|no available backend|Failed to get GPU adapter|requestAdapter|navigator\.gpu/i.test(message)) return 'WEBGPU_UNAVAILABLE'
  if (/Failed to fetch|NetworkError|Load failed|network error|ERR_[A-Z_]+|occurred while trying to load file|Unable to (fetch|get model file)/i.test(message)) {
    return 'DOWNLOAD_FAILED'
  }
  if (/Unsupported (device|model type)|is not supported|Invalid configuration/i.test(message)) return 'BAD_REQUEST'
  return 'INTERNAL'
}

function advice(code: InferenceErrorCode, ctx: TransformersErrorContext, detail: string): string {
  const model = ctx.modelId
  const from = ctx.source ? ` from ${ctx.source}` : ''
  switch (code) {
    case 'MODEL_NOT_FOUND':
      return (
        `The files for ${model} are missing${from} (${detail}). ` +
        (model === 'tiny-fixture'
          ? 'The app server builds and serves the fixture at /models/tiny-fixture/ (npm start); check that it is running and finished building it.'
          : 'A ?models= mirror must hold <base>/<model_id>/resolve/main/{config.json, generation_config.json, tokenizer.json, tokenizer_config.json, onnx/model_q4.onnx}.')
      )
    case 'DOWNLOAD_FAILED':
      return `Downloading ${model}${from} failed. Check your connection (or that the ?models= mirror has every file), then retry; finished files stay cached. (${detail})`
    case 'WEBGPU_UNAVAILABLE':
      return `WebGPU is unavailable here, so ${model} cannot run on webgpu. Use ?device=wasm to run it on the CPU. (${detail})`
    case 'DEVICE_LOST':
      return `${model} ran out of memory on ${ctx.device} (or the GPU was lost). Try a smaller model and close other heavy tabs. (${detail})`
    case 'QUOTA_EXCEEDED':
      return `Browser storage is full, so ${model} could not be cached. Delete cached models you no longer need (node panel → cache), then retry. (${detail})`
    case 'ABORTED':
      return `The operation on ${model} was cancelled.`
    case 'BAD_REQUEST':
      return `${model} cannot run this way: ${detail}`
    default:
      return `transformers.js failed while ${ctx.action === 'load' ? 'loading' : ctx.action === 'generate' ? 'generating with' : 'managing the cache of'} ${model} on ${ctx.device}: ${detail}`
  }
}

export function mapTransformersError(err: unknown, ctx: TransformersErrorContext): InferenceError {
  if (err instanceof InferenceError) return err
  const { name, message } = describe(err)
  const code = classifyTransformersError(name, message)
  const detail = name && name !== 'Error' && name !== 'string' && name !== 'number' ? `${name}: ${message}` : message
  return new InferenceError(code, advice(code, ctx, detail))
}
