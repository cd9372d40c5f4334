/** transformers.js catalog, file sources and the automatic engine/device choice: pure policy. */
import { describe, expect, it } from 'vitest'
import { pickDefaultModel } from '../../src/inference/catalog'
import { autoDevice, webllmFallback } from '../../src/inference/engine-choice'
import { isModelInfo } from '../../src/inference/reply-guards'
import { HF_HUB, TRANSFORMERS_CATALOG, WEIGHTS_FILE, modelFileUrl, modelSource, transformersModels } from '../../src/inference/transformers-catalog'
import type { CapabilityProbe } from '../../src/inference/types'

const base = { shaderF16: false, maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 27, hardwareConcurrency: 4 }
const NO_GPU: CapabilityProbe = { ...base, webgpu: false, webgpuUnavailableReason: 'WebGPU is present but no GPU adapter was granted.', maxBufferSize: 0, maxStorageBufferBindingSize: 0, vramBudgetMB: 0 }
const SWIFTSHADER: CapabilityProbe = { ...base, webgpu: true, adapter: { vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true }, vramBudgetMB: 1024 }
const SMALL_GPU: CapabilityProbe = { ...base, webgpu: true, adapter: { vendor: 'intel', architecture: 'gen-9', description: '', isFallbackAdapter: false }, vramBudgetMB: 512 }
const BIG_GPU: CapabilityProbe = { ...SMALL_GPU, vramBudgetMB: 8192 }

describe('transformers.js catalog', () => {
  it('offers q4 models without JSON-schema support, the fixture labelled as a test fixture', () => {
    const models = transformersModels('wasm', NO_GPU)
    expect(models.every(isModelInfo)).toBe(true)
    expect(models.map((m) => m.id)).toEqual(TRANSFORMERS_CATALOG.map((r) => r.id))
    expect(models.every((m) => m.engine === 'transformers' && m.quantization === 'q4' && m.supportsJsonSchema)).toBe(true)
    expect(models.filter((m) => m.testFixture).map((m) => m.id)).toEqual(['tiny-fixture'])
  })

  it('keeps to the GPU budget on webgpu and always offers the fixture', () => {
    expect(transformersModels('webgpu', SMALL_GPU).map((m) => m.id)).toEqual(['tiny-fixture', 'HuggingFaceTB/SmolLM2-135M-Instruct', 'HuggingFaceTB/SmolLM2-360M-Instruct'])
    expect(transformersModels('webgpu', { ...SMALL_GPU, vramBudgetMB: 0 }).map((m) => m.id)).toEqual(['tiny-fixture'])
  })

  it('never picks the fixture as the default model', () => {
    expect(pickDefaultModel(transformersModels('wasm', NO_GPU))?.id).toBe('HuggingFaceTB/SmolLM2-135M-Instruct')
    expect(pickDefaultModel(transformersModels('webgpu', { ...SMALL_GPU, vramBudgetMB: 0 }))).toBeNull()
  })

  it('fetches the fixture flat from our own /models/, everything else in the hub layout from the hub or the mirror', () => {
    const local = 'http://127.0.0.1:8787/models/'
    const fixture = modelSource('tiny-fixture', { localModelsUrl: local, mirrorUrl: 'http://mirror.test/m' })
    expect(fixture.cache).toBe(false)
    expect(modelFileUrl('tiny-fixture', WEIGHTS_FILE, fixture)).toBe('http://127.0.0.1:8787/models/tiny-fixture/onnx/model_q4.onnx')
    const hub = modelSource('HuggingFaceTB/SmolLM2-135M-Instruct', { localModelsUrl: local })
    expect(hub).toMatchObject({ base: HF_HUB, cache: true })
    expect(modelFileUrl('HuggingFaceTB/SmolLM2-135M-Instruct', 'config.json', hub)).toBe('https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct/resolve/main/config.json')
    const mirror = modelSource('onnx-community/Qwen2.5-0.5B-Instruct', { localModelsUrl: local, mirrorUrl: 'http://mirror.test/m' })
    expect(modelFileUrl('onnx-community/Qwen2.5-0.5B-Instruct', WEIGHTS_FILE, mirror)).toBe('http://mirror.test/m/onnx-community/Qwen2.5-0.5B-Instruct/resolve/main/onnx/model_q4.onnx')
  })
})

describe('automatic engine and device choice', () => {
  it('runs transformers.js on webgpu only with a hardware adapter', () => {
    expect(autoDevice(BIG_GPU)).toBe('webgpu')
    expect(autoDevice(SWIFTSHADER)).toBe('wasm')
    expect(autoDevice(NO_GPU)).toBe('wasm')
  })

  it('hands WebLLM over to transformers.js when there is no adapter or no WebLLM model fits, and says why', () => {
    expect(webllmFallback(NO_GPU, 0)).toEqual({ device: 'wasm', note: expect.stringMatching(/^WebGPU unavailable \(WebGPU is present but no GPU adapter was granted\)\. Running transformers\.js on the CPU \(wasm\)/) })
    expect(webllmFallback(BIG_GPU, 0)).toEqual({ device: 'webgpu', note: expect.stringContaining('No WebLLM model fits') })
    expect(webllmFallback(SWIFTSHADER, 0)?.device).toBe('wasm')
    expect(webllmFallback(SWIFTSHADER, 3)).toBeNull()
  })
})
