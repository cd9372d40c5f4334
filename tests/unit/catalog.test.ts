/** Catalog policy against web-llm's REAL prebuilt model list (the installed version's truth). */
import { prebuiltAppConfig, type ModelRecord } from '@mlc-ai/web-llm'
import { describe, expect, it } from 'vitest'
import { InferenceError } from '../../src/errors'
import {
  findRecord, hardBlocker, isSmallDevice, modelBaseUrl, needsShaderF16, nextSmallerModel, pickDefaultModel, quantizationOf, runnableModels, toModelInfo, withMirror,
} from '../../src/inference/catalog'
import type { CapabilityProbe } from '../../src/inference/types'

const records = prebuiltAppConfig.model_list
const GB = 1024 ** 3

/** What headless Chromium with --use-webgpu-adapter=swiftshader reports: CPU rasteriser, no shader-f16. */
const swiftshader: CapabilityProbe = {
  webgpu: true,
  adapter: { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)', isFallbackAdapter: true },
  shaderF16: false,
  maxBufferSize: 2 * GB,
  maxStorageBufferBindingSize: 2 * GB - 4,
  vramBudgetMB: 1024,
  deviceMemoryGB: 8,
  hardwareConcurrency: 2,
}
const laptop: CapabilityProbe = {
  webgpu: true,
  adapter: { vendor: 'intel', architecture: 'gen-12lp', description: '', isFallbackAdapter: false },
  shaderF16: true,
  maxBufferSize: 2 * GB,
  maxStorageBufferBindingSize: 2 * GB,
  vramBudgetMB: 4915,
  deviceMemoryGB: 8,
  hardwareConcurrency: 8,
}
const workstation: CapabilityProbe = { ...laptop, adapter: { ...laptop.adapter!, vendor: 'nvidia' }, vramBudgetMB: 40_000, maxBufferSize: 16 * GB, maxStorageBufferBindingSize: 4 * GB }
const noGpu: CapabilityProbe = { webgpu: false, webgpuUnavailableReason: 'no adapter', shaderF16: false, maxBufferSize: 0, maxStorageBufferBindingSize: 0, vramBudgetMB: 0, hardwareConcurrency: 4 }
const byId = (id: string): ModelRecord => findRecord(prebuiltAppConfig, id)

describe('catalog over the real prebuiltAppConfig', () => {
  it('reads quantization and f16 needs, even where required_features omits shader-f16', () => {
    expect(quantizationOf(byId('Llama-3.2-1B-Instruct-q4f16_1-MLC'))).toBe('q4f16_1')
    expect(quantizationOf(byId('Qwen3-0.6B-q0f32-MLC'))).toBe('q0f32')
    expect(byId('Llama-3.2-1B-Instruct-q4f16_1-MLC').required_features).toBeUndefined()
    expect(needsShaderF16(byId('Llama-3.2-1B-Instruct-q4f16_1-MLC'))).toBe(true)
    expect(needsShaderF16(byId('Llama-3.2-1B-Instruct-q4f32_1-MLC'))).toBe(false)
    expect(toModelInfo(byId('gemma3-1b-it-q4f16_1-MLC')).requiredFeatures).toContain('shader-f16')
  })

  it('never offers a SwiftShader-like device an f16 model, and offers some q4f32 ones', () => {
    const models = runnableModels(records, swiftshader)
    expect(models.length).toBeGreaterThan(0)
    for (const m of models) {
      expect(m.id).not.toMatch(/f16/)
      expect(m.requiredFeatures).not.toContain('shader-f16')
      expect(m.vramRequiredMB).toBeLessThanOrEqual(swiftshader.vramBudgetMB)
      expect(m.lowResourceRequired).toBe(true)
    }
    expect(isSmallDevice(swiftshader)).toBe(true)
  })

  it('excludes embedding and vision models everywhere', () => {
    const ids = runnableModels(records, workstation).map((m) => m.id)
    expect(ids.some((id) => /embed|vision/i.test(id))).toBe(false)
  })

  it('offers large models to a large budget and keeps the list sorted by size', () => {
    const models = runnableModels(records, workstation)
    expect(models.map((m) => m.id)).toContain('Llama-3.1-70B-Instruct-q3f16_1-MLC')
    expect(models.map((m) => m.id)).toContain('Llama-3.1-8B-Instruct-q4f16_1-MLC')
    const sizes = models.map((m) => m.vramRequiredMB)
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b))
    const mid = runnableModels(records, laptop).map((m) => m.id)
    expect(mid).not.toContain('Llama-3.1-8B-Instruct-q4f16_1-MLC')
    expect(mid).toContain('Qwen3-4B-q4f16_1-MLC')
  })

  it('offers nothing without WebGPU and explains why', () => {
    expect(runnableModels(records, noGpu)).toEqual([])
    expect(hardBlocker(byId('Qwen3-0.6B-q4f32_1-MLC'), noGpu)).toMatch(/WebGPU is unavailable/)
    expect(hardBlocker(byId('SmolLM2-360M-Instruct-q4f16_1-MLC'), swiftshader)).toMatch(/shader-f16/)
  })

  it('respects buffer_size_required_bytes against maxStorageBufferBindingSize', () => {
    const gemma = byId('gemma-2b-it-q4f32_1-MLC')
    expect(gemma.buffer_size_required_bytes).toBeGreaterThan(128 * 1024 * 1024)
    expect(hardBlocker(gemma, { ...workstation, maxStorageBufferBindingSize: 128 * 1024 * 1024 })).toMatch(/storage buffers/)
  })

  it('picks as default the smallest fitting q4f32 chat model with JSON support where there is no f16', () => {
    const models = runnableModels(records, swiftshader)
    const def = pickDefaultModel(models)
    expect(def?.id).toBe('SmolLM2-360M-Instruct-q4f32_1-MLC')
    const smallestQ4f32 = models.filter((m) => m.quantization.startsWith('q4f32') && m.supportsJsonSchema).sort((a, b) => a.vramRequiredMB - b.vramRequiredMB)[0]
    expect(def).toEqual(smallestQ4f32)
    expect(def?.supportsJsonSchema).toBe(true)
  })

  it('prefers a q4f16 default when the GPU has shader-f16', () => {
    const def = pickDefaultModel(runnableModels(records, laptop))
    expect(def?.quantization).toBe('q4f16_1')
    expect(def?.supportsJsonSchema).toBe(true)
  })

  it('marks base and reasoning models as unsuitable for schema output', () => {
    expect(toModelInfo(byId('Ministral-3-3B-Base-2512-q4f32_1-MLC')).supportsJsonSchema).toBe(false)
    expect(toModelInfo(byId('DeepSeek-R1-Distill-Qwen-7B-q4f32_1-MLC')).supportsJsonSchema).toBe(false)
    expect(toModelInfo(byId('Qwen3-0.6B-q4f32_1-MLC')).supportsJsonSchema).toBe(true)
  })

  it('falls back to the next smaller general chat model after DEVICE_LOST', () => {
    const models = runnableModels(records, laptop)
    const next = nextSmallerModel(models, 'Qwen3-4B-q4f16_1-MLC')
    expect(next).not.toBeNull()
    expect(next!.vramRequiredMB).toBeLessThan(toModelInfo(byId('Qwen3-4B-q4f16_1-MLC')).vramRequiredMB)
    expect(next!.supportsJsonSchema).toBe(true)
    const smallest = models[0]!
    expect(nextSmallerModel(models.filter((m) => m.vramRequiredMB <= smallest.vramRequiredMB), smallest.id)).toBeNull()
  })

  it('rewrites every record to the mirror layout', () => {
    const mirrored = withMirror(prebuiltAppConfig, 'http://127.0.0.1:8080/models')
    expect(mirrored.model_list).toHaveLength(records.length)
    const r = findRecord(mirrored, 'Qwen3-0.6B-q4f32_1-MLC')
    expect(r.model).toBe('http://127.0.0.1:8080/models/Qwen3-0.6B-q4f32_1-MLC/resolve/main/')
    expect(modelBaseUrl(r)).toBe(r.model)
    expect(r.model_lib).toBe('http://127.0.0.1:8080/models/libs/Qwen3-0.6B-q4f32_1_cs1k-webgpu.wasm')
    expect(records.find((x) => x.model_id === 'Qwen3-0.6B-q4f32_1-MLC')!.model).toMatch(/^https:\/\/huggingface\.co\//)
    expect(modelBaseUrl({ model: 'https://huggingface.co/mlc-ai/X' })).toBe('https://huggingface.co/mlc-ai/X/resolve/main/')
    expect(() => withMirror(prebuiltAppConfig, '/models')).toThrow(InferenceError)
  })

  it('throws MODEL_NOT_FOUND for an unknown id', () => {
    try {
      findRecord(prebuiltAppConfig, 'GPT-17-q4f32_1-MLC')
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(InferenceError)
      expect((err as InferenceError).code).toBe('MODEL_NOT_FOUND')
    }
  })
})
