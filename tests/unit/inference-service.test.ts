/**
 * The worker-side service's engine choice (engine-choice.ts applied at init)
 * and its diagnostics, with FAKE engines standing in for WebLLM and
 * transformers.js (neither runs in Node).
 */
import { describe, expect, it } from 'vitest'
import { systemClock } from '../../src/clock'
import type { TransformersInit } from '../../src/inference/service'
import { createInferenceService } from '../../src/inference/service'
import { SimEngine } from '../../src/inference/sim'
import type { CapabilityProbe, EngineKind, InferenceClient, ModelInfo } from '../../src/inference/types'

const NO_GPU: CapabilityProbe = { webgpu: false, webgpuUnavailableReason: 'no adapter', shaderF16: false, maxBufferSize: 0, maxStorageBufferBindingSize: 0, vramBudgetMB: 0, hardwareConcurrency: 2 }
const GPU: CapabilityProbe = { ...NO_GPU, webgpu: true, webgpuUnavailableReason: undefined, adapter: { vendor: 'amd', architecture: 'rdna-3', description: '', isFallbackAdapter: false }, vramBudgetMB: 8000 } as CapabilityProbe
const MODEL: ModelInfo = { id: 'm', engine: 'webllm', vramRequiredMB: 1, lowResourceRequired: true, requiredFeatures: [], quantization: 'q4f32_1', contextWindow: 4096, supportsJsonSchema: true }

/** FAKE engine: answers probe/list/stats, records destroy(); optional logits diagnostics. */
function fake(engine: EngineKind, probe: CapabilityProbe, models: ModelInfo[], backend: 'webgpu' | 'wasm' = 'webgpu') {
  const client = {
    destroyed: false,
    probe: async () => probe,
    listModels: async () => models,
    stats: async () => ({ engine, simulated: false, backend, state: 'idle' as const, model: null, tokensPerSec: null, lastError: null }),
    destroy() {
      client.destroyed = true
    },
    firstLogits: async (tokens: readonly number[]) => ({ vocab: 2, positions: tokens.length, logits: new Float32Array(tokens.length * 2) }),
    lastTokens: () => [4, 2],
    lastStop: () => ({ steps: 5, cancelledAtStep: 4 }),
  }
  return client as typeof client & InferenceClient
}

function setup(probe: CapabilityProbe, webllmModels: ModelInfo[], withTransformers = true) {
  const made: { webllm: ReturnType<typeof fake>[]; transformers: TransformersInit[] } = { webllm: [], transformers: [] }
  const service = createInferenceService({
    webllm: () => {
      const c = fake('webllm', probe, webllmModels)
      made.webllm.push(c)
      return c
    },
    sim: () => new SimEngine({ clock: systemClock, probe: async () => probe }),
    ...(withTransformers
      ? {
          transformers: (opts: TransformersInit) => {
            made.transformers.push(opts)
            return fake('transformers', probe, [], opts.device)
          },
        }
      : {}),
    probe: async () => probe,
  }, { postDelta: () => {} })
  return { service, made }
}

describe('engine choice at init', () => {
  it('hands the default WebLLM over to transformers.js on wasm when there is no WebGPU, with a note', async () => {
    const { service, made } = setup(NO_GPU, [])
    expect(await service.init({ engine: 'webllm', fallback: true })).toMatchObject({ ok: true, value: { engine: 'transformers' } })
    expect(made.webllm[0]?.destroyed).toBe(true)
    expect(made.transformers).toEqual([expect.objectContaining({ engine: 'transformers', device: 'wasm', note: expect.stringContaining('WebGPU unavailable (no adapter)') })])
    expect(await service.stats()).toMatchObject({ ok: true, value: { engine: 'transformers', backend: 'wasm' } })
  })

  it('hands over on WebGPU too when no WebLLM model fits, and stays on WebLLM when one does', async () => {
    const none = setup(GPU, [])
    expect(await none.service.init({ engine: 'webllm', fallback: true })).toMatchObject({ value: { engine: 'transformers' } })
    expect(none.made.transformers[0]).toMatchObject({ device: 'webgpu', note: expect.stringContaining('No WebLLM model fits') })
    const fits = setup(GPU, [MODEL])
    expect(await fits.service.init({ engine: 'webllm', fallback: true })).toMatchObject({ value: { engine: 'webllm' } })
    expect(fits.made.transformers).toEqual([])
  })

  it('never falls back from an explicit engine=webllm, nor without a transformers.js build', async () => {
    const explicit = setup(NO_GPU, [])
    expect(await explicit.service.init({ engine: 'webllm' })).toMatchObject({ value: { engine: 'webllm' } })
    const without = setup(NO_GPU, [], false)
    expect(await without.service.init({ engine: 'webllm', fallback: true })).toMatchObject({ value: { engine: 'webllm' } })
    expect(await setup(NO_GPU, [], false).service.init({ engine: 'transformers' })).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
  })

  it('picks the transformers.js device from the probe unless the URL named one', async () => {
    const auto = setup(GPU, [])
    await auto.service.init({ engine: 'transformers' })
    expect(auto.made.transformers[0]?.device).toBe('webgpu')
    const asked = setup(GPU, [])
    await asked.service.init({ engine: 'transformers', device: 'wasm' })
    expect(asked.made.transformers[0]?.device).toBe('wasm')
    expect(asked.made.transformers[0]?.note).toBeUndefined()
  })
})

describe('diagnostics', () => {
  it('passes logits and token ids through for engines that have them, and rejects bad input', async () => {
    const { service } = setup(NO_GPU, [])
    await service.init({ engine: 'transformers', device: 'wasm' })
    expect(await service.debugFirstLogits([1, 2, 3])).toMatchObject({ ok: true, value: { vocab: 2, positions: 3 } })
    expect(await service.debugLastTokens()).toEqual({ ok: true, value: [4, 2] })
    expect(await service.debugLastStop()).toEqual({ ok: true, value: { steps: 5, cancelledAtStep: 4 } })
    for (const bad of [[], [1.5], [-1], 'x']) expect(await service.debugFirstLogits(bad as number[])).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
  })

  it('answers BAD_REQUEST on engines without diagnostics', async () => {
    const { service } = setup(NO_GPU, [])
    await service.init({ engine: 'sim' })
    expect(await service.debugFirstLogits([1])).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
    expect(await service.debugLastTokens()).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
    expect(await service.debugLastStop()).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
  })
})

describe('generate requests', () => {
  it('refuses an abort flag that is not one shared Int32 with BAD_REQUEST, before the engine runs', async () => {
    const { service } = setup(NO_GPU, [])
    await service.init({ engine: 'sim' })
    const models = await service.listModels()
    if (!models.ok) throw new Error('the simulated engine lists no models')
    expect(await service.load(models.value[0]!.id, () => {})).toMatchObject({ ok: true })
    const ask = (abortFlag: unknown) => service.generate({ messages: [{ role: 'user', content: 'x' }], maxTokens: 4, temperature: 0, runId: 'r', abortFlag } as never)
    for (const bad of [new Int32Array(1), new Int32Array(new SharedArrayBuffer(8)), 'stop', 1]) {
      expect(await ask(bad)).toMatchObject({ ok: false, code: 'BAD_REQUEST', message: expect.stringContaining('abortFlag') })
    }
    expect(await ask(new Int32Array(new SharedArrayBuffer(4)))).toMatchObject({ ok: true })
  })
})
