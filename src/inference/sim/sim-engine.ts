/**
 * The SIMULATED engine: no model, no GPU. It implements the full
 * InferenceClient contract so the swarm can be developed, tested and demoed on
 * machines without WebGPU. It is only ever selected explicitly (`?engine=sim`
 * or a test), and everything it returns carries `simulated: true` and
 * engine 'sim' so the UI labels it (ARCHITECTURE.md invariant 7).
 *
 * Deterministic: the same seed and request give the same text on any node.
 * Timing comes from the injected Clock (tokens/s configurable).
 */
import type { Clock } from '../../clock'
import { InferenceError } from '../../errors'
import { createLogger } from '../../log'
import { EngineStatus, aborted, checkRequest } from '../engine-status'
import type { CacheEntry, CapabilityProbe, GenerateRequest, GenerateResult, InferenceClient, LoadProgress, ModelInfo } from '../types'
import { isSimPlanSteps, simLengths, simRoleOf, type SimLengths } from './profile'
import { generateFromSchema } from './schema-gen'
import { approxTokenCount, keywords, requestRandom, simulatedText, tokenize } from './text-gen'

const log = createLogger('inference')

export const SIM_MODEL: ModelInfo = {
  id: 'sim-fast',
  engine: 'sim',
  vramRequiredMB: 0,
  lowResourceRequired: true,
  requiredFeatures: [],
  quantization: 'none',
  contextWindow: 4096,
  supportsJsonSchema: true,
}

/**
 * How often a simulated verdict is the first of its enum ("pass"): small
 * models pass most answers, and a coin flip would turn every benchmark into
 * a measure of re-runs.
 */
export const SIM_PASS_RATE = 0.85

/** Pretend download size, so progress bars show bytes like the real engine. */
const SIM_BYTES = 64 * 1024 * 1024

export const SIM_PROBE: CapabilityProbe = {
  webgpu: false,
  webgpuUnavailableReason: 'The simulated engine does not use WebGPU (no GPU was probed).',
  shaderF16: false,
  maxBufferSize: 0,
  maxStorageBufferBindingSize: 0,
  vramBudgetMB: 0,
  hardwareConcurrency: 1,
}

export interface SimEngineOptions {
  readonly clock: Clock
  readonly seed?: number
  /** Decode speed; default 200 tokens/s. */
  readonly tokensPerSec?: number
  /** Simulated download+load time for an uncached model; default 300 ms. */
  readonly loadMs?: number
  /** Real capabilities when hosted in the worker; a fixed "no GPU" probe otherwise. */
  readonly probe?: () => Promise<CapabilityProbe>
  /** Tokens per reply of each role (profile.ts); missing roles keep their defaults. */
  readonly lengths?: Partial<SimLengths>
  /** Steps in every simulated plan (2–8); default: as the schema allows, seeded. */
  readonly planSteps?: number
}

interface Run {
  readonly runId: string
  cancel(): void
}

export class SimEngine implements InferenceClient {
  private readonly status = new EngineStatus('sim', true, 'none')
  private readonly cached = new Set<string>()
  private readonly tps: number
  private readonly seed: number
  private readonly loadMs: number
  private readonly lengths: SimLengths
  private run: Run | null = null
  private cancelLoad: (() => void) | null = null
  private runCounter = 0

  constructor(private readonly opts: SimEngineOptions) {
    this.tps = opts.tokensPerSec !== undefined && opts.tokensPerSec > 0 ? opts.tokensPerSec : 200
    this.seed = opts.seed ?? 1
    this.loadMs = Math.max(0, opts.loadMs ?? 300)
    this.lengths = simLengths(opts.lengths)
  }

  probe(): Promise<CapabilityProbe> {
    return this.opts.probe ? this.opts.probe() : Promise.resolve(SIM_PROBE)
  }

  listModels(): Promise<readonly ModelInfo[]> {
    return Promise.resolve([SIM_MODEL])
  }

  async load(modelId: string, onProgress: (p: LoadProgress) => void): Promise<ModelInfo> {
    if (modelId !== SIM_MODEL.id) {
      throw this.status.record(new InferenceError('MODEL_NOT_FOUND', `Unknown model "${modelId}": the simulated engine only offers "${SIM_MODEL.id}".`))
    }
    if (this.run || this.cancelLoad) throw new InferenceError('BUSY', 'The simulated engine is busy; wait for the current load or generation to finish.')
    const fromCache = this.cached.has(modelId)
    const steps: LoadProgress[] = [0, 0.25, 0.5, 0.75, 1].map((p) => ({
      progress: p,
      phase: fromCache ? 'loading' : 'downloading',
      loadedBytes: Math.round(p * SIM_BYTES),
      totalBytes: SIM_BYTES,
      text: `[simulated] ${fromCache ? 'Loading from cache' : 'Fetching'} ${modelId}: ${Math.round(p * 100)}%`,
    }))
    steps.push({ progress: 1, phase: 'loading', text: `[simulated] ${modelId} ready` })
    this.status.model = null
    this.status.state = fromCache ? 'loading' : 'downloading'
    let cancelled = false
    let cancelTimer: () => void = () => {}
    const done = new Promise<void>((resolve, reject) => {
      this.cancelLoad = () => {
        cancelled = true
        cancelTimer()
        reject(aborted(`Loading ${modelId}`))
      }
      let i = 0
      const next = (): void => {
        if (cancelled) return
        const step = steps[i++]
        if (!step) return resolve()
        this.status.state = step.phase
        safeCall(onProgress, step)
        cancelTimer = this.opts.clock.setTimeout(next, fromCache ? 0 : this.loadMs / steps.length)
      }
      next()
    })
    try {
      await done
    } catch (err) {
      this.status.state = 'idle'
      throw err
    } finally {
      this.cancelLoad = null
    }
    this.cached.add(modelId)
    this.status.model = modelId
    this.status.tokensPerSec = this.tps
    this.status.state = 'ready'
    return SIM_MODEL
  }

  async generate(request: GenerateRequest, onToken: (delta: string) => void): Promise<GenerateResult> {
    checkRequest(request)
    const model = this.status.model
    if (!model) throw new InferenceError('NOT_LOADED', 'No model is loaded: load "sim-fast" first.')
    if (this.run || this.cancelLoad) throw new InferenceError('BUSY', 'The simulated engine is already generating; one run at a time.')
    const runId = request.runId ?? `sim-run-${++this.runCounter}`
    if (request.signal?.aborted) throw aborted('Generation')
    const text = this.replyText(request, model)
    const all = tokenize(text)
    const tokens = all.slice(0, request.maxTokens)
    this.status.state = 'generating'
    try {
      await this.stream(runId, tokens, onToken, request.signal)
    } finally {
      this.run = null
      this.status.state = this.status.model ? 'ready' : 'idle'
    }
    return {
      runId,
      text: tokens.join(''),
      finishReason: tokens.length < all.length ? 'length' : 'stop',
      usage: {
        promptTokens: approxTokenCount(request.messages),
        completionTokens: tokens.length,
        // The configured rate, not a wall-clock measurement, keeps results deterministic.
        decodeTokensPerSec: this.tps,
        prefillTokensPerSec: this.tps * 10,
      },
      engine: 'sim',
      model,
      simulated: true,
    }
  }

  /**
   * The reply, about as long as the profile says for the request's role
   * (±10 %, seeded): free text is cut to length; JSON is regenerated with
   * scaled strings until it is close, so it stays schema-valid and complete.
   */
  private replyText(request: GenerateRequest, model: string): string {
    const random = requestRandom(this.seed, request.messages, request.jsonSchema)
    const role = simRoleOf(request)
    if (role === null) {
      return request.jsonSchema ? JSON.stringify(generateFromSchema(request.jsonSchema, random, keywords(request.messages, 12))) : simulatedText(request.messages, random, model)
    }
    const wanted = Math.max(1, Math.round(this.lengths[role] * (0.9 + 0.2 * random.next())))
    // Free text runs to its length and is cut at maxTokens like a real model's (finishReason "length");
    // JSON is sized to fit, so it stays complete and schema-valid.
    if (!request.jsonSchema) return simulatedText(request.messages, random, model, wanted)
    const target = Math.min(request.maxTokens, wanted)
    const words = keywords(request.messages, 12)
    const steps = this.opts.planSteps
    const arrayCounts = role === 'plan' && steps !== undefined && isSimPlanSteps(steps) ? { steps } : undefined
    const build = (stringScale: number): string => {
      const r = requestRandom(this.seed, request.messages, request.jsonSchema)
      return JSON.stringify(generateFromSchema(request.jsonSchema!, r, words, { stringScale, firstEnumOdds: { verdict: SIM_PASS_RATE }, ...(arrayCounts ? { arrayCounts } : {}) }))
    }
    // Secant steps on length(scale): strings grow with the scale, the JSON around them does not.
    let prev = { scale: 1, len: tokenize(build(1)).length }
    let best = { text: build(1), len: prev.len }
    let scale = Math.max(0.01, Math.min(100, target / Math.max(1, prev.len)))
    for (let i = 0; i < 10 && Math.abs(best.len - target) > Math.max(2, target * 0.04); i++) {
      const text = build(scale)
      const len = tokenize(text).length
      if (len <= request.maxTokens && (Math.abs(len - target) < Math.abs(best.len - target) || best.len > request.maxTokens)) best = { text, len }
      const slope = (len - prev.len) / (scale - prev.scale || 1e-6)
      prev = { scale, len }
      scale = Math.max(0.01, Math.min(100, slope > 0 ? scale + (target - len) / slope : scale * (target / Math.max(1, len))))
    }
    return best.text
  }

  /** Emits every token that is due by now, then sleeps until the next one: robust to timer clamping. */
  private stream(runId: string, tokens: readonly string[], onToken: (d: string) => void, signal?: AbortSignal): Promise<void> {
    const clock = this.opts.clock
    const interval = 1000 / this.tps
    return new Promise<void>((resolve, reject) => {
      const start = clock.now()
      let sent = 0
      let cancelTimer: () => void = () => {}
      const finish = (err?: InferenceError): void => {
        signal?.removeEventListener('abort', onAbort)
        cancelTimer()
        if (err) reject(err)
        else resolve()
      }
      const onAbort = (): void => finish(aborted('Generation'))
      this.run = { runId, cancel: onAbort }
      signal?.addEventListener('abort', onAbort, { once: true })
      const tick = (): void => {
        // The epsilon keeps float rounding (start + k·interval read back as k − 1e-13) from stalling fast runs.
        const due = Math.min(tokens.length, Math.floor((clock.now() - start) / interval + 1e-6))
        while (sent < due && this.run?.runId === runId) safeCall(onToken, tokens[sent++] ?? '')
        if (this.run?.runId !== runId) return // aborted from inside onToken
        if (sent >= tokens.length) return finish()
        cancelTimer = clock.setTimeout(tick, Math.max(0, start + (sent + 1) * interval - clock.now()))
      }
      cancelTimer = clock.setTimeout(tick, interval)
    })
  }

  abort(runId: string): Promise<void> {
    if (this.run?.runId === runId) {
      const run = this.run
      this.run = null
      run.cancel()
    }
    return Promise.resolve()
  }

  unload(): Promise<void> {
    this.cancelLoad?.()
    if (this.run) void this.abort(this.run.runId)
    this.status.model = null
    this.status.state = 'idle'
    return Promise.resolve()
  }

  cacheStatus(): Promise<readonly CacheEntry[]> {
    return Promise.resolve([{ modelId: SIM_MODEL.id, cached: this.cached.has(SIM_MODEL.id) }])
  }

  deleteFromCache(modelId: string): Promise<void> {
    if (modelId !== SIM_MODEL.id) return Promise.reject(new InferenceError('MODEL_NOT_FOUND', `Unknown model "${modelId}".`))
    if (this.status.model === modelId) return Promise.reject(new InferenceError('BUSY', `Unload ${modelId} before deleting it from the cache.`))
    this.cached.delete(modelId)
    return Promise.resolve()
  }

  stats() {
    return Promise.resolve(this.status.snapshot())
  }

  destroy(): void {
    void this.unload()
  }
}

/** A throwing UI callback must not break the engine's own bookkeeping. */
function safeCall<T>(fn: (arg: T) => void, arg: T): void {
  try {
    fn(arg)
  } catch (err) {
    log.warn('inference callback threw', err)
  }
}
