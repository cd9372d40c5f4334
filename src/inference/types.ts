/**
 * The InferenceClient contract: what the rest of the app may ask of an engine.
 * Implemented by the worker-backed client (WebLLM, transformers.js or the
 * simulated engine running in the worker) and by in-process fakes in tests. Every method that
 * fails throws `InferenceError` (src/errors.ts) with a data code.
 */
import type { InferenceErrorCode } from '../errors'

export type EngineKind = 'webllm' | 'sim' | 'transformers'
export type Backend = 'webgpu' | 'wasm' | 'none'
export type EngineState = 'no-webgpu' | 'idle' | 'downloading' | 'loading' | 'ready' | 'generating' | 'error'

export interface AdapterInfo {
  readonly vendor: string
  readonly architecture: string
  readonly description: string
  readonly isFallbackAdapter: boolean
}

export interface CapabilityProbe {
  readonly webgpu: boolean
  /** Why WebGPU is unusable, written for a person; absent when it works. */
  readonly webgpuUnavailableReason?: string
  readonly adapter?: AdapterInfo
  readonly shaderF16: boolean
  readonly maxBufferSize: number
  readonly maxStorageBufferBindingSize: number
  /** Rough VRAM we dare to use, in MB (see probe.ts for how it is estimated). */
  readonly vramBudgetMB: number
  readonly storageQuotaBytes?: number
  readonly storageUsageBytes?: number
  readonly deviceMemoryGB?: number
  readonly hardwareConcurrency: number
}

export interface ModelInfo {
  readonly id: string
  readonly engine: EngineKind
  readonly vramRequiredMB: number
  readonly lowResourceRequired: boolean
  readonly requiredFeatures: readonly string[]
  /** e.g. q4f16_1, q4f32_1 */
  readonly quantization: string
  readonly contextWindow: number
  /** Whether the engine can constrain output to a JSON schema with this model. */
  readonly supportsJsonSchema: boolean
  /** A model the project builds to prove the engine path (e.g. tiny-fixture): never a default, output is nonsense. */
  readonly testFixture?: boolean
}

export interface LoadProgress {
  /** 0..1 */
  readonly progress: number
  readonly text: string
  readonly loadedBytes?: number
  readonly totalBytes?: number
  readonly phase: 'downloading' | 'loading'
}

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant'
  readonly content: string
}

export interface GenerateRequest {
  readonly messages: readonly ChatMessage[]
  /** JSON schema the reply must satisfy (schema-constrained decoding). */
  readonly jsonSchema?: object
  readonly maxTokens: number
  readonly temperature: number
  /** Caller-chosen id so `abort(runId)` can target this run. */
  readonly runId?: string
  readonly signal?: AbortSignal
  /**
   * A shared flag (abort-flag.ts) the caller raises to stop the run without
   * waiting for a message to get through. Set by the worker client when the
   * page is cross-origin isolated; engines that decode synchronously check it
   * between tokens, the others ignore it (the abort message still comes).
   */
  readonly abortFlag?: Int32Array
}

export interface GenerateUsage {
  readonly promptTokens: number
  readonly completionTokens: number
  readonly decodeTokensPerSec: number
  readonly prefillTokensPerSec: number
}

export interface GenerateResult {
  readonly runId: string
  readonly text: string
  readonly finishReason: 'stop' | 'length' | 'abort'
  readonly usage: GenerateUsage
  readonly engine: EngineKind
  readonly model: string
  /** True for the simulated engine: its output must be labelled as such everywhere. */
  readonly simulated: boolean
}

export interface CacheEntry {
  readonly modelId: string
  readonly cached: boolean
}

export interface EngineStats {
  readonly engine: EngineKind
  readonly simulated: boolean
  readonly backend: Backend
  readonly state: EngineState
  readonly model: string | null
  readonly tokensPerSec: number | null
  readonly lastError: { readonly code: InferenceErrorCode; readonly message: string } | null
  /** Why this engine/backend runs when it is not the one the URL asked for (automatic fallback), for the panel. */
  readonly note?: string
}

export interface InferenceClient {
  probe(): Promise<CapabilityProbe>
  listModels(): Promise<readonly ModelInfo[]>
  load(modelId: string, onProgress: (p: LoadProgress) => void): Promise<ModelInfo>
  generate(request: GenerateRequest, onToken: (delta: string) => void): Promise<GenerateResult>
  abort(runId: string): Promise<void>
  unload(): Promise<void>
  cacheStatus(): Promise<readonly CacheEntry[]>
  deleteFromCache(modelId: string): Promise<void>
  stats(): Promise<EngineStats>
  destroy(): void
}
