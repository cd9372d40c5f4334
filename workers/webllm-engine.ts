/**
 * The real engine: WebLLM's MLCEngine on WebGPU, running inside our inference
 * worker (not web-llm's own worker wrapper: we own the protocol). Implements
 * InferenceClient and throws InferenceError with actionable messages; the
 * service (src/inference/service.ts) turns those into data replies.
 */
import { MLCEngine, deleteModelAllInfoInCache, hasModelInCache, type AppConfig, type ChatCompletionMessageParam } from '@mlc-ai/web-llm'
import { InferenceError } from '../src/errors'
import { createLogger } from '../src/log'
import { findRecord, hardBlocker, modelBaseUrl, runnableModels, softBlocker, toModelInfo } from '../src/inference/catalog'
import { EngineStatus, aborted, checkRequest } from '../src/inference/engine-status'
import type { CacheEntry, CapabilityProbe, GenerateRequest, GenerateResult, InferenceClient, LoadProgress, ModelInfo } from '../src/inference/types'
import { mapWebLlmError } from './webllm-errors'
import { toLoadProgress } from './webllm-progress'

const log = createLogger('inference')

/** Qwen3 thinks out loud by default; swarm roles want the answer (and JSON must start at token 1). */
const noThinking = (modelId: string) => (/^Qwen3/.test(modelId) ? { extra_body: { enable_thinking: false } } : {})

export class WebLlmEngine implements InferenceClient {
  private readonly status = new EngineStatus('webllm', false, 'webgpu')
  private readonly engine: MLCEngine
  private probed: Promise<CapabilityProbe> | null = null
  private loading: { cancelled: boolean } | null = null
  private run: { runId: string; cancel(): void } | null = null
  /** The previous run's stream, still winding down after an abort. */
  private draining: Promise<void> = Promise.resolve()

  constructor(
    private readonly appConfig: AppConfig,
    private readonly probeFn: () => Promise<CapabilityProbe>,
  ) {
    this.engine = new MLCEngine({ appConfig, logLevel: 'WARN' })
  }

  probe(): Promise<CapabilityProbe> {
    this.probed ??= this.probeFn()
    return this.probed
  }

  async listModels(): Promise<readonly ModelInfo[]> {
    return runnableModels(this.appConfig.model_list, await this.probe())
  }

  async load(modelId: string, onProgress: (p: LoadProgress) => void): Promise<ModelInfo> {
    const probe = await this.probe()
    if (!probe.webgpu) throw this.status.record(new InferenceError('WEBGPU_UNAVAILABLE', `WebGPU is unavailable: ${probe.webgpuUnavailableReason ?? ''}`))
    const record = findRecord(this.appConfig, modelId)
    const blocker = hardBlocker(record, probe)
    if (blocker) throw new InferenceError('BAD_REQUEST', blocker)
    const soft = softBlocker(record, probe)
    if (soft) log.warn(`loading anyway on explicit request: ${soft}`)
    if (this.loading || this.run) throw new InferenceError('BUSY', 'The engine is busy loading or generating; wait or cancel first.')
    const token = { cancelled: false }
    this.loading = token
    this.status.model = null
    try {
      const cached = await hasModelInCache(modelId, this.appConfig).catch(() => false)
      this.status.state = cached ? 'loading' : 'downloading'
      this.engine.setInitProgressCallback((report) => {
        if (token.cancelled) return
        const p = toLoadProgress(report, cached)
        this.status.state = p.phase
        onProgress(p)
      })
      await this.engine.reload(modelId)
      if (token.cancelled) throw aborted(`Loading ${modelId}`)
      this.status.state = 'loading'
      onProgress({ progress: 1, phase: 'loading', text: `Measuring ${modelId} speed…` })
      this.status.tokensPerSec = await this.warmUp(modelId)
    } catch (err) {
      let mapped = token.cancelled ? aborted(`Loading ${modelId}`) : mapWebLlmError(err, { modelId, action: 'load' })
      if (mapped.code === 'DOWNLOAD_FAILED') {
        mapped = (await this.missingFiles(record)) ?? new InferenceError('DOWNLOAD_FAILED', `${mapped.message} Source: ${modelBaseUrl(record)}`)
      }
      await this.engine.unload().catch(() => {})
      this.status.state = mapped.code === 'ABORTED' ? 'idle' : 'error'
      throw this.status.record(mapped)
    } finally {
      this.loading = null
      this.engine.setInitProgressCallback(() => {})
    }
    this.status.model = modelId
    this.status.state = 'ready'
    this.status.lastError = null
    return toModelInfo(record)
  }

  /** Tells "the mirror lacks this model" (404) apart from a flaky network. */
  private async missingFiles(record: ReturnType<typeof findRecord>): Promise<InferenceError | null> {
    const urls = [new URL(record.model_manifest ?? 'mlc-chat-config.json', modelBaseUrl(record)).href, record.model_lib]
    for (const url of urls) {
      try {
        const res = await fetch(url, { cache: 'no-store' })
        void res.body?.cancel()
        if (res.status === 404 || res.status === 410) {
          return new InferenceError('MODEL_NOT_FOUND', `The files for ${record.model_id} are missing (HTTP ${res.status} for ${url}). If you use ?models=, the mirror must hold <base>/<model_id>/resolve/main/… and <base>/libs/<wasm>.`)
        }
      } catch {
        return null // genuinely offline: DOWNLOAD_FAILED says so
      }
    }
    return null
  }

  /** One short generation right after load: the honest tok/s the scheduler ranks nodes by. */
  private async warmUp(modelId: string): Promise<number | null> {
    try {
      const reply = await this.engine.chat.completions.create({
        messages: [{ role: 'user', content: 'Reply with one word: ready' }],
        max_tokens: 16,
        temperature: 0,
        stream: false,
        ...noThinking(modelId),
      })
      await this.engine.resetChat()
      const tps = reply.usage?.extra.decode_tokens_per_s
      return typeof tps === 'number' && Number.isFinite(tps) && tps > 0 ? tps : null
    } catch (err) {
      const mapped = mapWebLlmError(err, { modelId, action: 'generate' })
      if (mapped.code === 'DEVICE_LOST') throw mapped
      log.warn('warm-up generation failed; tokens/s unknown', err)
      return null
    }
  }

  async generate(request: GenerateRequest, onToken: (delta: string) => void): Promise<GenerateResult> {
    checkRequest(request)
    const model = this.status.model
    if (!model) throw new InferenceError('NOT_LOADED', 'No model is loaded: load one in the node panel first.')
    if (this.run || this.loading) throw new InferenceError('BUSY', 'The engine is already busy; one generation at a time.')
    const runId = request.runId ?? `run-${Date.now().toString(36)}`
    if (request.signal?.aborted) throw aborted('Generation')
    let rejectAbort: (e: InferenceError) => void = () => {}
    const abortP = new Promise<never>((_, reject) => (rejectAbort = reject))
    const run = {
      runId,
      cancelled: false,
      cancel: () => {
        run.cancelled = true
        void this.engine.interruptGenerate()
        rejectAbort(aborted('Generation'))
      },
    }
    this.run = run
    const onSignal = (): void => run.cancel()
    request.signal?.addEventListener('abort', onSignal, { once: true })
    this.status.state = 'generating'
    await this.draining
    const work = this.complete(request, model, runId, (d) => {
      if (!run.cancelled) onToken(d)
    })
    this.draining = work.then(
      () => {},
      () => {},
    )
    try {
      const result = await Promise.race([work, abortP])
      this.status.tokensPerSec = result.usage.decodeTokensPerSec || this.status.tokensPerSec
      return result
    } catch (err) {
      let mapped = run.cancelled ? aborted('Generation') : mapWebLlmError(err, { modelId: model, action: 'generate' })
      if (mapped.code === 'NOT_LOADED') {
        // The model vanished under us: web-llm unloads itself when the GPU device is lost.
        mapped = new InferenceError('DEVICE_LOST', `The GPU device was lost while ${model} was loaded (often out of memory). Load a smaller model.`)
      }
      if (mapped.code === 'DEVICE_LOST') this.status.model = null
      throw this.status.record(mapped)
    } finally {
      request.signal?.removeEventListener('abort', onSignal)
      this.run = null
      this.status.state = this.status.model ? 'ready' : 'error'
    }
  }

  private async complete(request: GenerateRequest, model: string, runId: string, emit: (d: string) => void): Promise<GenerateResult> {
    const messages = request.messages.map((m) => ({ role: m.role, content: m.content }) as ChatCompletionMessageParam)
    const stream = await this.engine.chat.completions.create({
      messages,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: request.maxTokens,
      temperature: request.temperature,
      ...(request.jsonSchema ? { response_format: { type: 'json_object' as const, schema: JSON.stringify(request.jsonSchema) } } : {}),
      ...noThinking(model),
    })
    let text = ''
    let finish: string | null = null
    let usage: { prompt_tokens: number; completion_tokens: number; extra: { decode_tokens_per_s: number; prefill_tokens_per_s: number } } | null = null
    for await (const chunk of stream) {
      const choice = chunk.choices[0]
      const delta = choice?.delta?.content
      if (delta) {
        text += delta
        emit(delta)
      }
      finish = choice?.finish_reason ?? finish
      if (chunk.usage) usage = chunk.usage
    }
    if (finish === 'abort') throw aborted('Generation')
    return {
      runId,
      text,
      finishReason: finish === 'length' ? 'length' : 'stop',
      usage: {
        promptTokens: usage?.prompt_tokens ?? 0,
        completionTokens: usage?.completion_tokens ?? 0,
        decodeTokensPerSec: usage?.extra.decode_tokens_per_s ?? 0,
        prefillTokensPerSec: usage?.extra.prefill_tokens_per_s ?? 0,
      },
      engine: 'webllm',
      model,
      simulated: false,
    }
  }

  abort(runId: string): Promise<void> {
    if (this.run?.runId === runId) this.run.cancel()
    return Promise.resolve()
  }

  async unload(): Promise<void> {
    if (this.loading) this.loading.cancelled = true // reload() then fails or resolves; load() reports ABORTED
    this.run?.cancel()
    await this.engine.unload().catch((err: unknown) => log.warn('unload failed', err))
    this.status.model = null
    this.status.state = 'idle'
  }

  async cacheStatus(): Promise<readonly CacheEntry[]> {
    const ids = new Set((await this.listModels()).map((m) => m.id))
    if (this.status.model) ids.add(this.status.model)
    return Promise.all([...ids].map(async (modelId) => ({ modelId, cached: await hasModelInCache(modelId, this.appConfig).catch(() => false) })))
  }

  async deleteFromCache(modelId: string): Promise<void> {
    findRecord(this.appConfig, modelId)
    if (this.status.model === modelId) throw new InferenceError('BUSY', `${modelId} is loaded; unload it before deleting its files.`)
    try {
      await deleteModelAllInfoInCache(modelId, this.appConfig)
    } catch (err) {
      throw mapWebLlmError(err, { modelId, action: 'cache' })
    }
  }

  stats() {
    return Promise.resolve(this.status.snapshot())
  }

  destroy(): void {
    void this.unload()
  }
}
