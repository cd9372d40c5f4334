/** Capability probe: pure policy plus the navigator reader against fake navigators. */
import { describe, expect, it } from 'vitest'
import { estimateVramBudgetMB, isSoftwareAdapter, probeCapabilities, summarizeProbe, type NavigatorLike } from '../../src/inference/probe'

const GB = 1024 ** 3

function fakeNavigator(adapter: unknown, extra: Partial<NavigatorLike> = {}): NavigatorLike {
  return {
    gpu: { requestAdapter: () => Promise.resolve(adapter) },
    storage: { estimate: () => Promise.resolve({ quota: 10 * GB, usage: GB }) },
    hardwareConcurrency: 4,
    deviceMemory: 8,
    ...extra,
  }
}

const swiftshaderAdapter = {
  info: { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' },
  features: new Set<string>(['texture-compression-bc']),
  limits: { maxBufferSize: 2 * GB, maxStorageBufferBindingSize: 2 * GB - 4 },
}

describe('capability probe', () => {
  it('reports a SwiftShader adapter, no shader-f16, and a software-capped budget', async () => {
    const p = await probeCapabilities(fakeNavigator(swiftshaderAdapter), true)
    expect(p.webgpu).toBe(true)
    expect(p.adapter).toEqual({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)', isFallbackAdapter: false })
    expect(p.shaderF16).toBe(false)
    expect(isSoftwareAdapter(p.adapter)).toBe(true)
    expect(p.vramBudgetMB).toBe(1024)
    expect(p).toMatchObject({ storageQuotaBytes: 10 * GB, storageUsageBytes: GB, deviceMemoryGB: 8, hardwareConcurrency: 4 })
  })

  it('reads isFallbackAdapter from adapter.info or (older Chrome) the adapter itself', async () => {
    const legacy = { ...swiftshaderAdapter, info: { vendor: 'x', architecture: 'y', description: '' }, isFallbackAdapter: true }
    expect((await probeCapabilities(fakeNavigator(legacy), true)).adapter?.isFallbackAdapter).toBe(true)
    const modern = { ...swiftshaderAdapter, info: { vendor: 'x', architecture: 'y', description: '', isFallbackAdapter: true } }
    expect((await probeCapabilities(fakeNavigator(modern), true)).adapter?.isFallbackAdapter).toBe(true)
  })

  it('detects shader-f16 and a real GPU budget', async () => {
    const gpu = { info: { vendor: 'nvidia', architecture: 'ampere', description: '' }, features: new Set(['shader-f16']), limits: { maxBufferSize: 4 * GB, maxStorageBufferBindingSize: 2 * GB } }
    const p = await probeCapabilities(fakeNavigator(gpu), true)
    expect(p.shaderF16).toBe(true)
    expect(p.vramBudgetMB).toBe(8192)
  })

  it('never throws: no navigator.gpu, insecure context, null adapter, rejecting adapter', async () => {
    const none = await probeCapabilities({ hardwareConcurrency: 2 }, true)
    expect(none).toMatchObject({ webgpu: false, vramBudgetMB: 0 })
    expect(none.webgpuUnavailableReason).toMatch(/no WebGPU.*Chrome\/Edge 113\+/)
    expect((await probeCapabilities({}, false)).webgpuUnavailableReason).toMatch(/secure context/)
    expect((await probeCapabilities(fakeNavigator(null), true)).webgpuUnavailableReason).toMatch(/no adapter/)
    const failing: NavigatorLike = { gpu: { requestAdapter: () => Promise.reject(new Error('GPU process crashed')) } }
    const p = await probeCapabilities(failing, true)
    expect(p.webgpu).toBe(false)
    expect(p.webgpuUnavailableReason).toMatch(/GPU process crashed/)
    const noStorage: NavigatorLike = { ...fakeNavigator(swiftshaderAdapter), storage: { estimate: () => Promise.reject(new Error('denied')) } }
    expect((await probeCapabilities(noStorage, true)).storageQuotaBytes).toBeUndefined()
  })

  it('estimates VRAM from deviceMemory and maxBufferSize', () => {
    expect(estimateVramBudgetMB({ maxBufferSize: 2 * GB, deviceMemoryGB: 4, software: false })).toBe(2457)
    expect(estimateVramBudgetMB({ maxBufferSize: 2 * GB, deviceMemoryGB: 8, software: false })).toBe(4915)
    expect(estimateVramBudgetMB({ maxBufferSize: 12 * GB, software: false })).toBe(16384)
    expect(estimateVramBudgetMB({ maxBufferSize: 256 * 1024 * 1024, deviceMemoryGB: 8, software: false })).toBe(1024)
    expect(estimateVramBudgetMB({ maxBufferSize: 8 * GB, deviceMemoryGB: 8, software: true })).toBe(1024)
  })

  it('summarizes without optional host facts', () => {
    const p = summarizeProbe({ hasGpuApi: false, secureContext: true, adapter: null }, { hardwareConcurrency: 1 })
    expect('deviceMemoryGB' in p).toBe(false)
    expect('storageQuotaBytes' in p).toBe(false)
  })
})
