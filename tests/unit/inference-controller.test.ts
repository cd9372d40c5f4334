/** Engine controller policy with fakes: a scripted client, a Map store, the in-process sim. */
import { describe, expect, it } from 'vitest'
import { InferenceError, type InferenceErrorCode } from '../../src/errors'
import { EngineController, type ControllerSnapshot } from '../../src/inference/engine-controller'
import { createInProcessSimClient } from '../../src/inference/in-process-client'
import { memoryStore } from '../../src/inference/kv-store'
import type { CapabilityProbe, EngineKind, EngineStats, InferenceClient, LoadProgress, ModelInfo } from '../../src/inference/types'
import { ManualClock } from './fake-clock'

const model = (id: string, vram: number): ModelInfo => ({
  id, engine: 'webllm', vramRequiredMB: vram, lowResourceRequired: true, requiredFeatures: [], quantization: 'q4f32_1', contextWindow: 4096, supportsJsonSchema: true,
})
const MODELS = [model('tiny-q4f32_1', 500), model('small-q4f32_1', 1500), model('big-q4f32_1', 3000)]
const GPU: CapabilityProbe = { webgpu: true, shaderF16: false, maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31, vramBudgetMB: 4000, hardwareConcurrency: 4, storageQuotaBytes: 2 * 2 ** 30, storageUsageBytes: 2 ** 30 }
const NO_GPU: CapabilityProbe = { webgpu: false, webgpuUnavailableReason: 'no adapter', shaderF16: false, maxBufferSize: 0, maxStorageBufferBindingSize: 0, vramBudgetMB: 0, hardwareConcurrency: 4 }

/** A client whose load outcome per model is scripted: 'ok', an error code, or 'hang' (until unload). */
class ScriptedClient implements InferenceClient {
  loads: string[] = []
  outcomes = new Map<string, 'ok' | 'hang' | InferenceErrorCode>()
  private loaded: string | null = null
  private hung: ((e: InferenceError) => void) | null = null
  constructor(
    private readonly engine: EngineKind = 'webllm',
    private readonly caps: CapabilityProbe = GPU,
    private readonly extra: { backend?: EngineStats['backend']; note?: string; models?: ModelInfo[] } = {},
  ) {}
  probe = async () => this.caps
  listModels = async () => (this.extra.models ?? (this.caps.webgpu || this.engine === 'sim' ? MODELS : []))
  async load(id: string, onProgress: (p: LoadProgress) => void) {
    this.loads.push(id)
    onProgress({ progress: 0.5, phase: 'downloading', text: `fetching ${id}`, loadedBytes: 5, totalBytes: 10 })
    const outcome = this.outcomes.get(id) ?? 'ok'
    if (outcome === 'hang') await new Promise<never>((_, reject) => (this.hung = reject))
    else if (outcome !== 'ok') throw new InferenceError(outcome, `scripted ${outcome}`)
    this.loaded = id
    return MODELS.find((m) => m.id === id)!
  }
  async generate(req: { runId?: string }, onToken: (d: string) => void) {
    onToken('hi')
    if (req.runId === 'abort-me') throw new InferenceError('ABORTED', 'cancelled')
    return { runId: req.runId ?? 'r', text: 'hi', finishReason: 'stop' as const, usage: { promptTokens: 1, completionTokens: 1, decodeTokensPerSec: 42, prefillTokensPerSec: 99 }, engine: this.engine, model: this.loaded ?? '', simulated: false }
  }
  abort = async () => {}
  async unload() {
    this.hung?.(new InferenceError('ABORTED', 'cancelled'))
    this.hung = null
    this.loaded = null
  }
  cacheStatus = async () => MODELS.map((m) => ({ modelId: m.id, cached: m.id === this.loaded }))
  deleteFromCache = async () => {}
  stats = async (): Promise<EngineStats> => ({
    engine: this.engine, simulated: this.engine === 'sim', backend: this.extra.backend ?? 'webgpu', state: 'idle', model: this.loaded, tokensPerSec: this.loaded ? 12 : null, lastError: null,
    ...(this.extra.note ? { note: this.extra.note } : {}),
  })
  destroy() {}
}

describe('engine controller', () => {
  it('shows no-webgpu with the reason and refuses to load', async () => {
    const client = new ScriptedClient('webllm', NO_GPU)
    const c = new EngineController({ client, store: memoryStore(), autoload: true })
    await c.start()
    expect(c.snapshot().state).toBe('no-webgpu')
    expect(c.snapshot().notice).toMatch(/WebGPU unavailable: no adapter/)
    await c.load('tiny-q4f32_1')
    expect(client.loads).toEqual([])
    expect(c.snapshot().lastError?.code).toBe('WEBGPU_UNAVAILABLE')
  })

  it('does not need WebGPU for the simulated engine', async () => {
    const c = new EngineController({ client: new ScriptedClient('sim', NO_GPU), store: memoryStore() })
    await c.start()
    expect(c.snapshot().state).toBe('idle')
    expect(c.summary()).toMatchObject({ engine: 'sim', simulated: true })
  })

  it('selects the default, remembers a loaded model per device and autoloads it next time', async () => {
    const store = memoryStore()
    const first = new EngineController({ client: new ScriptedClient(), store })
    await first.start()
    expect(first.snapshot()).toMatchObject({ state: 'idle', selectedModel: 'tiny-q4f32_1', defaultModel: 'tiny-q4f32_1' })
    await first.load('small-q4f32_1')
    expect(first.snapshot()).toMatchObject({ state: 'ready', loadedModel: 'small-q4f32_1', tokensPerSec: 12 })
    expect(store.data.get('mindos.inference.model.webllm')).toBe('small-q4f32_1')
    const client = new ScriptedClient()
    const second = new EngineController({ client, store })
    await second.start()
    expect(client.loads).toEqual(['small-q4f32_1'])
    expect(second.summary()).toEqual({ engine: 'webllm', simulated: false, backend: 'webgpu', state: 'ready', tokensPerSec: 12, model: 'small-q4f32_1' })
  })

  it('autoloads the default with the flag, and reports an unusable ?model=', async () => {
    const client = new ScriptedClient()
    const c = new EngineController({ client, store: memoryStore(), autoload: true, preferredModel: 'nope' })
    await c.start()
    expect(client.loads).toEqual(['tiny-q4f32_1'])
    expect(c.snapshot().notice).toMatch(/"nope" from the URL is not offered/)
  })

  it('after DEVICE_LOST retries once with the next smaller model and says so', async () => {
    const client = new ScriptedClient()
    client.outcomes.set('big-q4f32_1', 'DEVICE_LOST')
    const store = memoryStore()
    const c = new EngineController({ client, store })
    await c.start()
    await c.load('big-q4f32_1')
    expect(client.loads).toEqual(['big-q4f32_1', 'small-q4f32_1'])
    expect(c.snapshot()).toMatchObject({ state: 'ready', loadedModel: 'small-q4f32_1' })
    expect(c.snapshot().notice).toMatch(/big-q4f32_1 ran out of GPU memory.*smaller small-q4f32_1/)
    expect(store.data.get('mindos.inference.model.webllm')).toBe('small-q4f32_1')
  })

  it('gives up after one fallback', async () => {
    const client = new ScriptedClient()
    client.outcomes.set('big-q4f32_1', 'DEVICE_LOST')
    client.outcomes.set('small-q4f32_1', 'DEVICE_LOST')
    const c = new EngineController({ client, store: memoryStore() })
    await c.start()
    await c.load('big-q4f32_1')
    expect(client.loads).toEqual(['big-q4f32_1', 'small-q4f32_1'])
    expect(c.snapshot()).toMatchObject({ state: 'error', loadedModel: null })
    expect(c.snapshot().lastError?.code).toBe('DEVICE_LOST')
  })

  it('on QUOTA_EXCEEDED suggests deleting cached models', async () => {
    const client = new ScriptedClient()
    client.outcomes.set('tiny-q4f32_1', 'QUOTA_EXCEEDED')
    const c = new EngineController({ client, store: memoryStore() })
    await c.start()
    await c.load('tiny-q4f32_1')
    expect(c.snapshot().state).toBe('error')
    expect(c.snapshot().lastError?.message).toMatch(/Delete cached models.*free disk space/)
    expect(c.snapshot().lastError?.message).toMatch(/1\.0 GB of 2\.0 GB used/)
  })

  it('shows progress and can cancel a load', async () => {
    const client = new ScriptedClient()
    client.outcomes.set('tiny-q4f32_1', 'hang')
    const c = new EngineController({ client, store: memoryStore() })
    await c.start()
    const seen: ControllerSnapshot[] = []
    const off = c.subscribe((s) => seen.push(s))
    const loading = c.load('tiny-q4f32_1')
    await Promise.resolve()
    expect(c.snapshot()).toMatchObject({ state: 'downloading', progress: { progress: 0.5, loadedBytes: 5 } })
    await c.cancelLoad()
    await loading
    expect(c.snapshot()).toMatchObject({ state: 'idle', progress: null, lastError: null })
    expect(c.snapshot().notice).toMatch(/cancelled/)
    off()
    const count = seen.length
    c.select('small-q4f32_1')
    expect(seen.length).toBe(count)
  })

  it('tracks generation state and tok/s; an abort returns to ready', async () => {
    const c = new EngineController({ client: new ScriptedClient(), store: memoryStore() })
    await c.start()
    await c.load('tiny-q4f32_1')
    const r = await c.generate({ messages: [{ role: 'user', content: 'x' }], maxTokens: 5, temperature: 0 }, () => {})
    expect(r.text).toBe('hi')
    expect(c.snapshot()).toMatchObject({ state: 'ready', tokensPerSec: 42 })
    await expect(c.generate({ messages: [{ role: 'user', content: 'x' }], maxTokens: 5, temperature: 0, runId: 'abort-me' }, () => {})).rejects.toMatchObject({ code: 'ABORTED' })
    expect(c.snapshot().state).toBe('ready')
    c.destroy()
    let calls = 0
    c.subscribe(() => calls++)
    c.select('big-q4f32_1')
    expect(calls).toBe(0)
  })

  it('hands roles a client whose generations show up in the panel state', async () => {
    const tasks: (() => void)[] = []
    const c = new EngineController({ client: new ScriptedClient(), store: memoryStore(), nextTask: (fn) => void tasks.push(fn) })
    await c.start()
    const roleClient = c.asClient()
    const progress: LoadProgress[] = []
    expect((await roleClient.load('small-q4f32_1', (p) => progress.push(p))).id).toBe('small-q4f32_1')
    expect(progress[0]?.progress).toBe(0.5)
    const states: string[] = []
    c.subscribe((s) => states.push(s.state))
    await roleClient.generate({ messages: [{ role: 'user', content: 'x' }], maxTokens: 5, temperature: 0 }, () => {})
    // The caller has its result before the listeners run: the snapshot is current, the notification comes in the next task.
    expect(c.snapshot().state).toBe('ready')
    expect(c.summary().tokensPerSec).toBe(42)
    expect(states).toEqual(['generating'])
    tasks.splice(0).forEach((t) => t())
    expect(states).toEqual(['generating', 'ready'])
  })

  it('coalesces the deferred end-of-generation notification, and a synchronous one covers it', async () => {
    const tasks: (() => void)[] = []
    const c = new EngineController({ client: new ScriptedClient(), store: memoryStore(), nextTask: (fn) => void tasks.push(fn) })
    await c.start()
    await c.load('small-q4f32_1')
    const states: string[] = []
    c.subscribe((s) => states.push(s.state))
    const req = { messages: [{ role: 'user' as const, content: 'x' }], maxTokens: 5, temperature: 0 }
    await c.generate(req, () => {})
    await c.generate(req, () => {})
    // Each generation notified 'generating' at once; the 'ready's are deferred, and say it once.
    expect(states).toEqual(['generating', 'generating'])
    tasks.splice(0).forEach((t) => t())
    expect(states).toEqual(['generating', 'generating', 'ready'])
    await c.generate(req, () => {})
    c.select('tiny-q4f32_1') // a synchronous notification carries the pending 'ready' with it
    expect(states.slice(3)).toEqual(['generating', 'ready'])
    tasks.splice(0).forEach((t) => t())
    expect(states).toHaveLength(5) // the deferred one found nothing left to say
    c.destroy()
  })

  it('shows why transformers.js runs after an automatic fallback, and never defaults to a test fixture', async () => {
    const tf = (id: string, mb: number, testFixture = false): ModelInfo => ({ ...model(id, mb), engine: 'transformers', quantization: 'q4', supportsJsonSchema: false, ...(testFixture ? { testFixture } : {}) })
    const models = [tf('tiny-fixture', 1, true), tf('SmolLM2-135M', 200), tf('SmolLM2-360M', 417)]
    const note = 'WebGPU unavailable (no adapter). Running transformers.js on the CPU (wasm) instead, so this tab still contributes.'
    const client = new ScriptedClient('transformers', NO_GPU, { backend: 'wasm', note, models })
    const c = new EngineController({ client, store: memoryStore() })
    await c.start()
    expect(c.snapshot()).toMatchObject({ state: 'idle', engine: 'transformers', backend: 'wasm', notice: note, defaultModel: 'SmolLM2-135M', selectedModel: 'SmolLM2-135M' })
    // The fixture loads when named, and DEVICE_LOST never falls back to it.
    client.outcomes.set('SmolLM2-135M', 'DEVICE_LOST')
    await c.load('SmolLM2-135M')
    expect(client.loads).toEqual(['SmolLM2-135M'])
    expect(c.snapshot().lastError?.code).toBe('DEVICE_LOST')
    await c.load('tiny-fixture')
    expect(c.summary()).toMatchObject({ engine: 'transformers', backend: 'wasm', model: 'tiny-fixture', state: 'ready' })
  })

  it('treats transformers.js on webgpu without an adapter like WebLLM: no-webgpu, nothing loads', async () => {
    const client = new ScriptedClient('transformers', NO_GPU, { backend: 'webgpu', models: [] })
    const c = new EngineController({ client, store: memoryStore(), autoload: true, preferredModel: 'tiny-fixture' })
    await c.start()
    expect(c.snapshot().state).toBe('no-webgpu')
    await c.load('tiny-fixture')
    expect(client.loads).toEqual([])
    expect(c.snapshot().lastError?.code).toBe('WEBGPU_UNAVAILABLE')
  })

  it('drives the in-process simulated engine end to end', async () => {
    const clock = new ManualClock()
    const c = new EngineController({ client: createInProcessSimClient({ clock, seed: 3 }), store: memoryStore(), autoload: true })
    await clock.runUntilSettled(c.start())
    expect(c.summary()).toMatchObject({ engine: 'sim', simulated: true, model: 'sim-fast', state: 'ready', tokensPerSec: 200 })
    expect(c.snapshot().cache).toEqual([{ modelId: 'sim-fast', cached: true }])
  })
})
