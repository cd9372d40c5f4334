/**
 * The UI-facing state machine over an InferenceClient: what the node panel
 * renders and what presence advertises. It owns the recovery policy:
 * - DEVICE_LOST (GPU out of memory) → retry once with the next smaller model
 *   that fits, and say so;
 * - QUOTA_EXCEEDED → tell the user to delete cached models;
 * - ABORTED (cancel) → back to idle, not an error.
 * It remembers the loaded model per device (KeyValueStore) and autoloads it.
 * It does not own the client: whoever created the client destroys it.
 */
import { createNextTask, type NextTask } from '../clock'
import { InferenceError } from '../errors'
import { createLogger } from '../log'
import { nextSmallerModel, pickDefaultModel } from './catalog'
import type { KeyValueStore } from './kv-store'
import type { Backend, CacheEntry, CapabilityProbe, EngineKind, EngineState, EngineStats, GenerateRequest, GenerateResult, InferenceClient, LoadProgress, ModelInfo } from './types'

const log = createLogger('inference')

export interface ControllerSnapshot {
  readonly state: EngineState
  readonly engine: EngineKind
  readonly simulated: boolean
  readonly backend: Backend
  readonly probe: CapabilityProbe | null
  readonly models: readonly ModelInfo[]
  readonly defaultModel: string | null
  readonly selectedModel: string | null
  readonly loadedModel: string | null
  readonly progress: LoadProgress | null
  readonly tokensPerSec: number | null
  readonly lastError: EngineStats['lastError']
  /** Something the user should know that is not an error (fallbacks, cancellations). */
  readonly notice: string | null
  readonly cache: readonly CacheEntry[]
}

/** What this node advertises to its peers (mesh presence). */
export type PresenceSummary = Pick<ControllerSnapshot, 'engine' | 'simulated' | 'backend' | 'state' | 'tokensPerSec'> & { readonly model: string | null }

export interface EngineControllerOptions {
  readonly client: InferenceClient
  readonly store: KeyValueStore
  /** Load the remembered (or default) model on start even if nothing was remembered. */
  readonly autoload?: boolean
  /** ?model= from the URL: selected (and autoloaded) in preference to the remembered one. */
  readonly preferredModel?: string
  /** Where deferred notifications run (see `set`); a MessageChannel task unless a test drives it. */
  readonly nextTask?: NextTask
}

type Listener = (s: ControllerSnapshot) => void

export class EngineController {
  private s: ControllerSnapshot = {
    state: 'idle', engine: 'webllm', simulated: false, backend: 'none', probe: null, models: [], defaultModel: null,
    selectedModel: null, loadedModel: null, progress: null, tokensPerSec: null, lastError: null, notice: null, cache: [],
  }
  private readonly listeners = new Set<Listener>()
  private loadSeq = 0
  private destroyed = false
  private notifyPending = false
  private readonly nextTask: NextTask

  constructor(private readonly opts: EngineControllerOptions) {
    this.nextTask = opts.nextTask ?? createNextTask()
  }

  private get client(): InferenceClient {
    return this.opts.client
  }

  private rememberKey(): string {
    return `mindos.inference.model.${this.s.engine}`
  }

  /**
   * The snapshot changes at once; listeners hear of it now, or with `later`
   * in the next task, coalesced. `later` is for the end of a generation: the
   * listeners (presence broadcast, scheduler pokes, panel renders) cost the
   * page milliseconds, and run before the caller saw its result when they
   * were synchronous, on the critical path of every generation.
   */
  private set(patch: Partial<ControllerSnapshot>, when: 'now' | 'later' = 'now'): void {
    if (this.destroyed) return
    this.s = { ...this.s, ...patch }
    if (when === 'later') {
      if (this.notifyPending) return
      this.notifyPending = true
      return this.nextTask(() => {
        if (this.notifyPending) this.notify()
      })
    }
    this.notify()
  }

  private notify(): void {
    this.notifyPending = false // a notification now also covers a deferred one
    if (this.destroyed) return
    for (const l of [...this.listeners]) {
      try {
        l(this.s)
      } catch (err) {
        log.warn('engine controller listener threw', err)
      }
    }
  }

  private fail(err: unknown, state: EngineState = 'error'): InferenceError {
    const e = err instanceof InferenceError ? err : new InferenceError('INTERNAL', err instanceof Error ? err.message : String(err))
    this.set({ state, lastError: { code: e.code, message: e.message }, progress: null })
    return e
  }

  /** Probe, list, restore the remembered choice, autoload. Never throws: failures land in the snapshot. */
  async start(): Promise<void> {
    try {
      const [probe, stats] = await Promise.all([this.client.probe(), this.client.stats()])
      this.set({ probe, engine: stats.engine, simulated: stats.simulated, backend: stats.backend, ...(stats.note ? { notice: stats.note } : {}) })
      // WebLLM, or transformers.js asked to run on WebGPU: nothing can load without an adapter.
      const needsGpu = stats.engine === 'webllm' || (stats.engine === 'transformers' && stats.backend === 'webgpu')
      if (needsGpu && !probe.webgpu) {
        this.set({ state: 'no-webgpu', notice: `WebGPU unavailable: ${probe.webgpuUnavailableReason ?? 'unknown reason'}` })
        return
      }
      const models = await this.client.listModels()
      const def = pickDefaultModel(models)?.id ?? null
      const has = (id: string | null | undefined): id is string => !!id && models.some((m) => m.id === id)
      const remembered = this.opts.store.get(this.rememberKey())
      const preferred = this.opts.preferredModel
      if (preferred && !has(preferred)) this.set({ notice: `${stats.note ? `${stats.note} ` : ''}Model "${preferred}" from the URL is not offered on this device; using ${def ?? 'none'}.` })
      const selected = has(preferred) ? preferred : has(remembered) ? remembered : def
      this.set({ models, defaultModel: def, selectedModel: selected, state: stats.state === 'no-webgpu' ? 'idle' : stats.state })
      await this.refreshCache()
      if (selected && (this.opts.autoload || has(remembered) || has(preferred))) await this.load(selected, { keepNotice: true })
    } catch (err) {
      this.fail(err)
    }
  }

  select(modelId: string): void {
    this.set({ selectedModel: modelId })
  }

  /** Never throws: the outcome is in the snapshot. Resolves when loading (and any fallback) is over. */
  async load(modelId: string | null = this.s.selectedModel, opts: { fallback?: boolean; keepNotice?: boolean } = {}): Promise<void> {
    const isFallback = opts.fallback === true
    if (!modelId) return void this.fail(new InferenceError('BAD_REQUEST', 'No model selected.'), this.s.state)
    if (this.s.state === 'no-webgpu') {
      return void this.fail(new InferenceError('WEBGPU_UNAVAILABLE', `WebGPU unavailable: ${this.s.probe?.webgpuUnavailableReason ?? ''}`), 'no-webgpu')
    }
    const seq = ++this.loadSeq
    this.set({ state: 'downloading', selectedModel: modelId, loadedModel: null, lastError: null, progress: null, ...(isFallback || opts.keepNotice ? {} : { notice: null }) })
    try {
      await this.client.load(modelId, (p) => {
        if (seq === this.loadSeq) this.set({ progress: p, state: p.phase })
      })
      if (seq !== this.loadSeq) return
      const stats = await this.client.stats()
      this.opts.store.set(this.rememberKey(), modelId)
      this.set({ state: 'ready', loadedModel: modelId, progress: null, tokensPerSec: stats.tokensPerSec })
    } catch (err) {
      if (seq !== this.loadSeq) return
      const e = err instanceof InferenceError ? err : new InferenceError('INTERNAL', String(err))
      if (e.code === 'ABORTED') return void this.set({ state: 'idle', progress: null, notice: `Loading ${modelId} was cancelled.` })
      if (e.code === 'DEVICE_LOST' && !isFallback) {
        const next = nextSmallerModel(this.s.models, modelId)
        if (next) {
          this.set({ notice: `${modelId} ran out of GPU memory (device lost); trying the smaller ${next.id} instead.` })
          return this.load(next.id, { fallback: true })
        }
      }
      if (e.code === 'QUOTA_EXCEEDED') {
        const used = this.s.probe?.storageUsageBytes
        const quota = this.s.probe?.storageQuotaBytes
        const usage = used !== undefined && quota !== undefined ? ` (${mb(used)} of ${mb(quota)} used)` : ''
        this.fail(new InferenceError('QUOTA_EXCEEDED', `Not enough browser storage to cache ${modelId}${usage}. Delete cached models in the list below or free disk space, then load again.`))
      } else {
        this.fail(e)
      }
    } finally {
      if (seq === this.loadSeq) await this.refreshCache()
    }
  }

  /** Cancels a load in progress (the client's unload aborts it; load() then reports ABORTED). */
  async cancelLoad(): Promise<void> {
    if (this.s.state !== 'downloading' && this.s.state !== 'loading') return
    await this.client.unload().catch((err: unknown) => log.warn('cancel failed', err))
  }

  async unload(): Promise<void> {
    this.loadSeq++
    await this.client.unload().catch((err: unknown) => log.warn('unload failed', err))
    this.set({ state: this.s.state === 'no-webgpu' ? 'no-webgpu' : 'idle', loadedModel: null, progress: null })
  }

  async deleteCached(modelId: string): Promise<void> {
    try {
      await this.client.deleteFromCache(modelId)
      this.set({ notice: `Deleted ${modelId} from the cache.` })
    } catch (err) {
      this.fail(err, this.s.state)
    }
    await this.refreshCache()
  }

  async refreshCache(): Promise<void> {
    try {
      this.set({ cache: await this.client.cacheStatus() })
    } catch (err) {
      log.warn('cache status failed', err)
    }
  }

  /** Generation for roles and the panel's test box. Throws InferenceError; keeps state and tok/s current. */
  async generate(request: GenerateRequest, onToken: (delta: string) => void): Promise<GenerateResult> {
    // Send the request first, then tell the listeners (presence broadcast, scheduler pokes, re-renders: milliseconds
    // of main-thread work that used to sit in front of every generation). The client posts to the worker in the
    // microtask its `await ready` resumes in, which is queued before this function's own continuation below.
    const pending = this.client.generate(request, onToken)
    pending.catch(() => {}) // awaited below; this only keeps a very early rejection from counting as unhandled
    await Promise.resolve()
    this.set({ state: 'generating' })
    try {
      const result = await pending
      const tps = result.usage.decodeTokensPerSec > 0 ? result.usage.decodeTokensPerSec : this.s.tokensPerSec
      this.set({ state: 'ready', tokensPerSec: tps }, 'later')
      return result
    } catch (err) {
      const e = err instanceof InferenceError ? err : new InferenceError('INTERNAL', String(err))
      if (e.code === 'ABORTED' || e.code === 'BUSY' || e.code === 'BAD_REQUEST') {
        this.set({ state: this.s.loadedModel ? 'ready' : 'idle' })
      } else if (e.code === 'DEVICE_LOST' && this.s.loadedModel) {
        const lost = this.s.loadedModel
        this.fail(e)
        const next = nextSmallerModel(this.s.models, lost)
        if (next) {
          this.set({ loadedModel: null, notice: `The GPU was lost while generating with ${lost}; loading the smaller ${next.id}.` })
          void this.load(next.id, { fallback: true })
        }
      } else {
        this.fail(e, this.s.loadedModel && e.code !== 'NOT_LOADED' ? 'ready' : 'error')
      }
      throw e
    }
  }

  abort(runId: string): Promise<void> {
    return this.client.abort(runId)
  }

  /**
   * An InferenceClient for roles and the scheduler (src/roles/run-role.ts takes
   * one) that routes through this controller, so the panel and presence see
   * their generations (state, tok/s) and DEVICE_LOST fallbacks apply.
   * destroy() is a no-op: the real client's owner destroys it.
   */
  asClient(): InferenceClient {
    const c = this.client
    return {
      probe: () => c.probe(),
      listModels: () => c.listModels(),
      load: async (modelId, onProgress) => {
        const off = this.subscribe((s) => s.progress && onProgress(s.progress))
        try {
          await this.load(modelId)
        } finally {
          off()
        }
        const loaded = this.s.models.find((m) => m.id === this.s.loadedModel)
        if (loaded) return loaded
        const e = this.s.lastError ?? { code: 'ABORTED' as const, message: `Loading ${modelId} was cancelled.` }
        throw new InferenceError(e.code, e.message)
      },
      generate: (request, onToken) => this.generate(request, onToken),
      abort: (runId) => c.abort(runId),
      unload: () => this.unload(),
      cacheStatus: () => c.cacheStatus(),
      deleteFromCache: async (modelId) => {
        await c.deleteFromCache(modelId)
        await this.refreshCache()
      },
      stats: () => c.stats(),
      destroy: () => {},
    }
  }

  snapshot(): ControllerSnapshot {
    return this.s
  }

  summary(): PresenceSummary {
    const { engine, simulated, backend, state, tokensPerSec, loadedModel } = this.s
    return { engine, simulated, backend, state, tokensPerSec, model: loadedModel }
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  destroy(): void {
    this.destroyed = true
    this.loadSeq++
    this.listeners.clear()
  }
}

function mb(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${Math.round(bytes / 1024 ** 2)} MB`
}
