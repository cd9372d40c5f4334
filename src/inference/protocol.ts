/**
 * The inference worker protocol between the page and
 * workers/inference.worker.ts. Two kinds of traffic share the worker's port:
 * - comlink RPC (InferenceService). Error subclasses don't survive structured
 *   clone, so every method answers with data: `{ ok: true, value }` or
 *   `{ ok: false, code, message }`. Load progress crosses as a
 *   `comlink.proxy` callback (a few dozen calls per load).
 * - streamed text: plain `DeltaMessage` posts, worker → page, no reply. The
 *   worker coalesces a run's deltas (delta-batcher.ts) and posts them on the
 *   same port as comlink's replies *before* the generate reply, so FIFO order
 *   on one port guarantees the page has every delta when the reply lands.
 *   comlink ignores them (they carry no `id`).
 * - shared memory: a generate request may carry a one-slot abort flag over a
 *   SharedArrayBuffer (abort-flag.ts) that the page raises on Stop, checked
 *   with `isAbortFlag` at the service boundary.
 * Everything from the worker is untrusted: the client checks replies with
 * reply-guards.ts and deltas with `isDeltaMessage`, and drops what fails.
 */
import { InferenceError, isInferenceErrorCode, type InferenceErrorCode } from '../errors'
import type { TransformersDevice } from './engine-choice'
import type { CacheEntry, CapabilityProbe, EngineKind, EngineStats, GenerateRequest, GenerateResult, LoadProgress, ModelInfo } from './types'

/**
 * 2: streamed text moved from a per-token comlink callback to batched DeltaMessage posts.
 * 3: generate may carry a shared abort flag (abort-flag.ts).
 */
export const PROTOCOL_VERSION = 3

/**
 * One batch of streamed text for run `runId`. `seq` counts a run's batches
 * from 0, so the page can tell a gap or a replay (which FIFO delivery on one
 * port rules out for an honest worker) from the normal stream.
 */
export interface DeltaMessage {
  readonly type: 'mindos-inference-deltas'
  readonly v: typeof PROTOCOL_VERSION
  readonly runId: string
  readonly seq: number
  readonly text: string
}

export const DELTA_MESSAGE_TYPE = 'mindos-inference-deltas'

export function deltaMessage(runId: string, seq: number, text: string): DeltaMessage {
  return { type: DELTA_MESSAGE_TYPE, v: PROTOCOL_VERSION, runId, seq, text }
}

/** True for anything that claims to be a delta message (then checked by isDeltaMessage); lets the client skip comlink's own traffic cheaply. */
export function looksLikeDeltaMessage(v: unknown): boolean {
  return v !== null && typeof v === 'object' && (v as { type?: unknown }).type === DELTA_MESSAGE_TYPE
}

export function isDeltaMessage(v: unknown): v is DeltaMessage {
  if (!looksLikeDeltaMessage(v)) return false
  const m = v as Record<string, unknown>
  return m.v === PROTOCOL_VERSION && typeof m.runId === 'string' && m.runId.length > 0 && Number.isInteger(m.seq) && (m.seq as number) >= 0 && typeof m.text === 'string' && m.text.length > 0
}

export type Reply<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: InferenceErrorCode; readonly message: string }

/** Chosen once per worker, from URL parameters (see url-options.ts). */
export interface InitOptions {
  readonly engine: 'webllm' | 'sim' | 'transformers'
  /** WebLLM only: hand over to transformers.js when WebGPU or a fitting model is missing (engine-choice.ts). */
  readonly fallback?: boolean
  /** transformers.js only; absent = decided from the probe (`autoDevice`). */
  readonly device?: TransformersDevice
  /** Absolute base URL of a model mirror (layouts: catalog.ts for WebLLM, transformers-catalog.ts). */
  readonly modelsBaseUrl?: string
  /** Absolute URL of this server's own /models/ (where tiny-fixture lives); default: /models/ on the worker's origin. */
  readonly localModelsUrl?: string
  /** Simulated engine only: decode speed and determinism seed. */
  readonly simTps?: number
  readonly seed?: number
  /** Simulated engine only: tokens per reply of each role, and steps per plan (src/inference/sim/profile.ts). */
  readonly simLengths?: Partial<Readonly<Record<'plan' | 'research' | 'verify' | 'synthesize', number>>>
  readonly simPlanSteps?: number
}

/** Copies only InitOptions' own fields, so a wider params object never crosses the boundary. */
export function toInitOptions(p: InitOptions): InitOptions {
  return {
    engine: p.engine,
    ...(p.fallback !== undefined ? { fallback: p.fallback } : {}),
    ...(p.device !== undefined ? { device: p.device } : {}),
    ...(p.modelsBaseUrl !== undefined ? { modelsBaseUrl: p.modelsBaseUrl } : {}),
    ...(p.localModelsUrl !== undefined ? { localModelsUrl: p.localModelsUrl } : {}),
    ...(p.simTps !== undefined ? { simTps: p.simTps } : {}),
    ...(p.seed !== undefined ? { seed: p.seed } : {}),
    ...(p.simLengths !== undefined ? { simLengths: { ...p.simLengths } } : {}),
    ...(p.simPlanSteps !== undefined ? { simPlanSteps: p.simPlanSteps } : {}),
  }
}

export interface InitInfo {
  readonly protocolVersion: number
  readonly engine: EngineKind
}

/** Logits of one forward pass over `tokens` (no cache): row i predicts token i+1. Diagnostics only. */
export interface FirstLogits {
  readonly vocab: number
  readonly positions: number
  /** positions × vocab, row-major. */
  readonly logits: Float32Array
}

/**
 * What an engine may offer beyond InferenceClient for tests and devtools
 * (the transformers.js engine does): a raw forward pass, and the token ids of
 * its last generation. Nothing in the app depends on these.
 */
export interface EngineDiagnostics {
  firstLogits(tokens: readonly number[]): Promise<FirstLogits>
  lastTokens(): readonly number[]
  lastStop(): LastStop
}

/**
 * How the last generation ended, counted in decoding steps (forward passes):
 * how many ran, and how many had run when the engine saw Stop (its abort
 * message or shared flag), or null if it never did. Their difference is how
 * long the engine took to stop, without the page's latency in front of it.
 */
export interface LastStop {
  readonly steps: number
  readonly cancelledAtStep: number | null
}

/** GenerateRequest without the AbortSignal (not cloneable): the client turns it into `abort(runId)`. */
export type WireGenerateRequest = Omit<GenerateRequest, 'signal' | 'runId'> & { readonly runId: string }

export interface InferenceService {
  init(opts: InitOptions): Promise<Reply<InitInfo>>
  probe(): Promise<Reply<CapabilityProbe>>
  listModels(): Promise<Reply<readonly ModelInfo[]>>
  load(modelId: string, onProgress: (p: LoadProgress) => void): Promise<Reply<ModelInfo>>
  /** Streams the reply's text as DeltaMessages for `request.runId` (see above), then answers with the result. */
  generate(request: WireGenerateRequest): Promise<Reply<GenerateResult>>
  abort(runId: string): Promise<Reply<null>>
  unload(): Promise<Reply<null>>
  cacheStatus(): Promise<Reply<readonly CacheEntry[]>>
  deleteFromCache(modelId: string): Promise<Reply<null>>
  stats(): Promise<Reply<EngineStats>>
  /** Diagnostics (EngineDiagnostics); BAD_REQUEST on engines without them. */
  debugFirstLogits(tokens: readonly number[]): Promise<Reply<FirstLogits>>
  debugLastTokens(): Promise<Reply<readonly number[]>>
  debugLastStop(): Promise<Reply<LastStop>>
}

export function ok<T>(value: T): Reply<T> {
  return { ok: true, value }
}

/** Any thrown value → error reply; unknown errors become INTERNAL with their message kept. */
export function errorReply(err: unknown): Reply<never> {
  if (err instanceof InferenceError) return { ok: false, code: err.code, message: err.message }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  return { ok: false, code: 'INTERNAL', message: `Unexpected engine error: ${message}` }
}

/**
 * Unwraps a reply from the worker, or throws. A reply that is not a valid
 * Reply<T> (bad shape, unknown code, value failing `isValue`) is a bug or a
 * compromised worker: INTERNAL with a message naming the method.
 */
export function unwrapReply<T>(method: string, raw: unknown, isValue: (v: unknown) => v is T): T {
  if (raw === null || typeof raw !== 'object') throw malformed(method, 'not an object')
  const r = raw as { ok?: unknown; value?: unknown; code?: unknown; message?: unknown }
  if (r.ok === true) {
    if (!isValue(r.value)) throw malformed(method, 'value has the wrong shape')
    return r.value
  }
  if (r.ok === false) {
    if (!isInferenceErrorCode(r.code) || typeof r.message !== 'string') throw malformed(method, 'error without a known code and message')
    throw new InferenceError(r.code, r.message)
  }
  throw malformed(method, 'missing ok flag')
}

function malformed(method: string, why: string): InferenceError {
  return new InferenceError('INTERNAL', `The inference worker sent a malformed reply to ${method}() (${why}); reload the page.`)
}
