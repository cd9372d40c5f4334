/**
 * The second real engine: transformers.js (ONNX Runtime Web) on WebGPU or on
 * the CPU through WASM, inside our inference worker. Implements
 * InferenceClient like WebLlmEngine, throwing InferenceError with data codes;
 * the service (src/inference/service.ts) turns those into replies. Loaded
 * only through a dynamic import (workers/inference.worker.ts).
 *
 * A request's `jsonSchema` is enforced by grammar-constrained decoding
 * (transformers-grammar.ts, on @mlc-ai/web-xgrammar, loaded on first use), on
 * wasm and webgpu alike. Generation is one request at a time.
 */
import type { PreTrainedModel, PreTrainedTokenizer } from '@huggingface/transformers'
import { InferenceError } from '../src/errors'
import { createLogger } from '../src/log'
import type { TransformersDevice } from '../src/inference/engine-choice'
import { EngineStatus, aborted, checkRequest } from '../src/inference/engine-status'
import type { EngineDiagnostics, FirstLogits, LastStop } from '../src/inference/protocol'
import {
  HF_HUB, TINY_FIXTURE_ID, WEIGHTS_FILE, TRANSFORMERS_DTYPE, findTransformersRecord, modelFileUrl, modelSource, toTransformersModelInfo, transformersModels,
  type ModelSource, type TransformersRecord,
} from '../src/inference/transformers-catalog'
import type { CacheEntry, CapabilityProbe, EngineStats, GenerateRequest, GenerateResult, InferenceClient, LoadProgress, ModelInfo } from '../src/inference/types'
import { loadTransformers, pointAt, type Transformers } from './transformers-env'
import { mapTransformersError } from './transformers-errors'
import { loadXGrammar, type XGrammar } from './json-grammar'
import { TransformersGrammar } from './transformers-grammar'
import { runGeneration, runFirstLogits, type LoadedModel } from './transformers-run'
import { LoadProgressTracker } from './transformers-progress'
import { StepGate } from './transformers-stream'

const log = createLogger('inference')

/** The files every model needs, smallest first; a 404 on any of them means the source lacks the model. */
const REQUIRED_FILES = ['config.json', 'tokenizer_config.json', 'tokenizer.json', WEIGHTS_FILE]

async function missingFile(modelId: string, source: ModelSource, device: TransformersDevice): Promise<InferenceError | null> {
  for (const file of REQUIRED_FILES) {
    const url = modelFileUrl(modelId, file, source)
    try {
      const res = await fetch(url, { headers: { Range: 'bytes=0-0' }, cache: 'no-store' })
      void res.body?.cancel()
      if (res.status === 404 || res.status === 410) {
        return mapTransformersError(Object.assign(new Error(`Could not locate file: "${url}" (HTTP ${res.status})`), { name: 'ModelFileNotFoundError' }), { modelId, action: 'load', device, source: source.base })
      }
    } catch {
      return null // genuinely offline: the original DOWNLOAD_FAILED says so
    }
  }
  return null
}

export interface TransformersEngineOptions {
  readonly device: TransformersDevice
  /** Why this engine runs although the URL did not ask for it (automatic fallback). */
  readonly note?: string
  /** This server's /models/ (absolute), where tiny-fixture lives. */
  readonly localModelsUrl: string
  /** `?models=` mirror (absolute); absent = the Hugging Face hub. */
  readonly mirrorUrl?: string
  readonly probe: () => Promise<CapabilityProbe>
  /**
   * The device name handed to transformers.js when it differs from `device`:
   * only Node tests set it ('cpu', onnxruntime-node runs the same engine code
   * there; transformers.js's Node build has no 'wasm' device).
   */
  readonly libDevice?: 'cpu'
  /** Loads xgrammar for constrained decoding; default a dynamic import (Node tests pass their own loader). */
  readonly loadGrammar?: () => Promise<XGrammar>
}

export class TransformersEngine implements InferenceClient, EngineDiagnostics {
  private readonly status: EngineStatus
  private probed: Promise<CapabilityProbe> | null = null
  private loaded: (LoadedModel & { readonly record: TransformersRecord; readonly grammar: TransformersGrammar }) | null = null
  private loading: { cancelled: boolean; readonly abort: AbortController } | null = null
  private run: { readonly runId: string; readonly abortFlag: Int32Array | null; cancel(): void; steps: number; cancelledAtStep: number | null } | null = null
  private lastStopInfo: LastStop = { steps: 0, cancelledAtStep: null }
  private lastIds: readonly number[] = []
  private readonly gate = new StepGate()

  private constructor(
    private readonly lib: Transformers,
    private readonly opts: TransformersEngineOptions,
  ) {
    this.status = new EngineStatus('transformers', false, opts.device)
  }

  static async create(opts: TransformersEngineOptions): Promise<TransformersEngine> {
    let engine: TransformersEngine | null = null
    // Downloads follow the current load's AbortController, so cancelling a load stops its transfers.
    const lib = await loadTransformers((input, init) => fetch(input, { ...init, ...(engine?.loading ? { signal: engine.loading.abort.signal } : {}) }))
    engine = new TransformersEngine(lib, opts)
    return engine
  }

  private get device(): TransformersDevice {
    return this.opts.device
  }

  private source(modelId: string): ModelSource {
    return modelSource(modelId, { localModelsUrl: this.opts.localModelsUrl, ...(this.opts.mirrorUrl ? { mirrorUrl: this.opts.mirrorUrl } : {}) })
  }

  probe(): Promise<CapabilityProbe> {
    this.probed ??= this.opts.probe()
    return this.probed
  }

  async listModels(): Promise<readonly ModelInfo[]> {
    const probe = await this.probe()
    if (this.device === 'webgpu' && !probe.webgpu) return []
    return transformersModels(this.device, probe)
  }

  async load(modelId: string, onProgress: (p: LoadProgress) => void): Promise<ModelInfo> {
    const probe = await this.probe()
    if (this.device === 'webgpu' && !probe.webgpu) {
      throw this.status.record(new InferenceError('WEBGPU_UNAVAILABLE', `WebGPU is unavailable (${probe.webgpuUnavailableReason ?? 'no adapter'}), so transformers.js cannot run on webgpu here. Use ?device=wasm.`))
    }
    const record = findTransformersRecord(modelId)
    if (!record) throw new InferenceError('MODEL_NOT_FOUND', `Unknown model "${modelId}": it is not in the transformers.js catalog. Pick one from the model list.`)
    if (this.loading || this.run) throw new InferenceError('BUSY', 'The engine is busy loading or generating; wait or cancel first.')
    const token = { cancelled: false, abort: new AbortController() }
    this.loading = token
    await this.dropModel()
    const source = this.source(modelId)
    const where = source.base === HF_HUB ? 'the Hugging Face hub' : source.base
    try {
      const cached = (await this.cachedWeights(modelId).catch(() => false)) === true
      const tracker = new LoadProgressTracker(modelId, WEIGHTS_FILE, this.device, cached)
      this.status.state = cached ? 'loading' : 'downloading'
      const progress_callback = (raw: unknown): void => {
        const p = token.cancelled ? null : tracker.update(raw as { status: string })
        if (!p) return
        this.status.state = p.phase
        onProgress(p)
      }
      pointAt(this.lib, source)
      const tokenizer = await this.lib.AutoTokenizer.from_pretrained(modelId, { progress_callback })
      const model = await this.lib.AutoModelForCausalLM.from_pretrained(modelId, { dtype: TRANSFORMERS_DTYPE, device: this.opts.libDevice ?? this.device, progress_callback })
      if (token.cancelled) {
        await model.dispose().catch(() => {})
        throw aborted(`Loading ${modelId}`)
      }
      const prepared = this.prepare(model, tokenizer)
      this.loaded = { record, ...prepared, grammar: new TransformersGrammar(modelId, prepared, this.opts.loadGrammar ?? loadXGrammar) }
      this.status.state = 'loading'
      onProgress({ progress: 1, phase: 'loading', text: `Measuring ${modelId} speed on ${this.device}…` })
      this.status.tokensPerSec = await this.warmUp()
    } catch (err) {
      let mapped = token.cancelled ? aborted(`Loading ${modelId}`) : mapTransformersError(err, { modelId, action: 'load', device: this.device, source: where })
      // transformers.js reports some missing files as unrelated TypeErrors (a tokenizer without its config): ask the server.
      if (mapped.code !== 'ABORTED' && mapped.code !== 'MODEL_NOT_FOUND') mapped = (await missingFile(modelId, source, this.device)) ?? mapped
      await this.dropModel()
      this.status.state = mapped.code === 'ABORTED' ? 'idle' : 'error'
      throw this.status.record(mapped)
    } finally {
      if (this.loading === token) this.loading = null
    }
    this.status.model = modelId
    this.status.state = 'ready'
    this.status.lastError = null
    return toTransformersModelInfo(record)
  }

  /** Stop ids: the generation config's, plus ChatML's <|im_end|> when the tokenizer has it. */
  private prepare(model: PreTrainedModel, tokenizer: PreTrainedTokenizer): LoadedModel {
    const fromConfig = (model.generation_config as { eos_token_id?: number | number[] | null } | undefined)?.eos_token_id
    const eos = new Set<number>(Array.isArray(fromConfig) ? fromConfig : typeof fromConfig === 'number' ? [fromConfig] : [])
    const imEnd = tokenizer.get_vocab().get('<|im_end|>')
    if (typeof imEnd === 'number') eos.add(imEnd)
    if (typeof tokenizer.eos_token_id === 'number') eos.add(tokenizer.eos_token_id)
    // Before each decoding step: read the run's abort flag, and give the worker's event loop a turn when one is due (StepGate).
    const forward = model.forward.bind(model)
    model.forward = async (inputs: unknown) => {
      const run = this.run
      await this.gate.beforeStep(run?.abortFlag ?? null, () => run?.cancel())
      if (run) run.steps++
      return forward(inputs)
    }
    return { model, tokenizer, eos: [...eos] }
  }

  /** One short greedy generation right after load: the tok/s the scheduler ranks this node by. */
  private async warmUp(): Promise<number | null> {
    const loaded = this.loaded!
    try {
      const out = await runGeneration(this.lib, loaded, { messages: [{ role: 'user', content: 'Reply with one word: ready' }], maxTokens: 16, temperature: 0 }, loaded.record.contextWindow, { cancelled: () => false, onStopper: () => {}, emit: () => {} })
      return out.usage.decodeTokensPerSec > 0 ? out.usage.decodeTokensPerSec : null
    } catch (err) {
      const mapped = mapTransformersError(err, { modelId: loaded.record.id, action: 'generate', device: this.device })
      if (mapped.code === 'DEVICE_LOST') throw mapped
      log.warn('warm-up generation failed; tokens/s unknown', err)
      return null
    }
  }

  async generate(request: GenerateRequest, onToken: (delta: string) => void): Promise<GenerateResult> {
    checkRequest(request)
    const loaded = this.loaded
    if (!loaded || !this.status.model) throw new InferenceError('NOT_LOADED', 'No model is loaded: load one in the node panel first.')
    if (this.run || this.loading) throw new InferenceError('BUSY', 'The engine is already busy; one generation at a time.')
    if (request.signal?.aborted) throw aborted('Generation')
    const runId = request.runId ?? `run-${Date.now().toString(36)}`
    let stop: () => void = () => {}
    const run = {
      runId,
      abortFlag: request.abortFlag ?? null,
      steps: 0,
      cancelledAtStep: null as number | null,
      cancel: () => {
        run.cancelledAtStep ??= run.steps
        stop()
      },
    }
    this.run = run
    const cancelled = (): boolean => run.cancelledAtStep !== null
    const onSignal = (): void => run.cancel()
    request.signal?.addEventListener('abort', onSignal, { once: true })
    this.status.state = 'generating'
    try {
      // The first request with a given schema compiles it (cached per model afterwards).
      const guide = request.jsonSchema !== undefined ? await loaded.grammar.guide(request.jsonSchema) : undefined
      if (cancelled()) throw aborted('Generation')
      const out = await runGeneration(this.lib, loaded, request, loaded.record.contextWindow, {
        cancelled,
        onStopper: (s) => (stop = s),
        emit: (d) => cancelled() || onToken(d),
      }, guide)
      this.lastIds = out.ids
      if (cancelled()) throw aborted('Generation')
      this.status.tokensPerSec = out.usage.decodeTokensPerSec || this.status.tokensPerSec
      return { runId, text: out.text, finishReason: out.finishReason, usage: out.usage, engine: 'transformers', model: loaded.record.id, simulated: false }
    } catch (err) {
      const mapped = cancelled() ? aborted('Generation') : mapTransformersError(err, { modelId: loaded.record.id, action: 'generate', device: this.device })
      if (mapped.code === 'DEVICE_LOST') await this.dropModel()
      throw this.status.record(mapped)
    } finally {
      request.signal?.removeEventListener('abort', onSignal)
      this.lastStopInfo = { steps: run.steps, cancelledAtStep: run.cancelledAtStep }
      this.run = null
      this.status.state = this.status.model ? 'ready' : 'error'
    }
  }

  abort(runId: string): Promise<void> {
    if (this.run?.runId === runId) this.run.cancel()
    return Promise.resolve()
  }

  async firstLogits(tokens: readonly number[]): Promise<FirstLogits> {
    const loaded = this.loaded
    if (!loaded) throw new InferenceError('NOT_LOADED', 'No model is loaded.')
    if (this.run || this.loading) throw new InferenceError('BUSY', 'The engine is busy.')
    return runFirstLogits(this.lib, loaded, tokens)
  }

  lastTokens(): readonly number[] {
    return this.lastIds
  }

  lastStop(): LastStop {
    return this.lastStopInfo
  }

  async unload(): Promise<void> {
    if (this.loading) {
      this.loading.cancelled = true
      this.loading.abort.abort()
    }
    this.run?.cancel()
    await this.dropModel()
    this.status.state = 'idle'
  }

  private async dropModel(): Promise<void> {
    const loaded = this.loaded
    this.loaded = null
    this.status.model = null
    loaded?.grammar.dispose()
    if (loaded) await loaded.model.dispose().catch((err: unknown) => log.warn('disposing the model failed', err))
  }

  /** transformers.js caches remote files in Cache Storage under the URL it fetched them from. */
  private async cachedWeights(modelId: string): Promise<boolean> {
    const source = this.source(modelId)
    if (!source.cache || typeof caches === 'undefined') return false
    const cache = await caches.open(this.lib.env.cacheKey)
    return (await cache.match(modelFileUrl(modelId, WEIGHTS_FILE, source))) !== undefined
  }

  async cacheStatus(): Promise<readonly CacheEntry[]> {
    const ids = (await this.listModels()).map((m) => m.id)
    return Promise.all(ids.map(async (modelId) => ({ modelId, cached: await this.cachedWeights(modelId).catch(() => false) })))
  }

  async deleteFromCache(modelId: string): Promise<void> {
    if (!findTransformersRecord(modelId)) throw new InferenceError('MODEL_NOT_FOUND', `Unknown model "${modelId}".`)
    if (this.status.model === modelId) throw new InferenceError('BUSY', `${modelId} is loaded; unload it before deleting its files.`)
    if (modelId === TINY_FIXTURE_ID || typeof caches === 'undefined') return
    try {
      const cache = await caches.open(this.lib.env.cacheKey)
      const marker = `/${modelId}/resolve/`
      for (const req of await cache.keys()) if (req.url.includes(marker)) await cache.delete(req)
    } catch (err) {
      throw mapTransformersError(err, { modelId, action: 'cache', device: this.device })
    }
  }

  stats(): Promise<EngineStats> {
    return Promise.resolve({ ...this.status.snapshot(), ...(this.opts.note ? { note: this.opts.note } : {}) })
  }

  destroy(): void {
    void this.unload()
  }
}
