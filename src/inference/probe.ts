/**
 * Capability probe: what this tab's GPU, memory and storage can take.
 * Runs inside the inference worker (WorkerNavigator has gpu, storage,
 * deviceMemory and hardwareConcurrency). The navigator calls are confined to
 * `probeCapabilities`; the policy (`summarizeProbe`, `estimateVramBudgetMB`)
 * is pure so unit tests can feed it any device.
 */
import type { AdapterInfo, CapabilityProbe } from './types'

const MB = 1024 * 1024

/** What `probeCapabilities` reads from the GPU; null adapter = none granted. */
export interface GpuFacts {
  readonly hasGpuApi: boolean
  readonly secureContext: boolean
  readonly adapter: (AdapterInfo & { readonly shaderF16: boolean; readonly maxBufferSize: number; readonly maxStorageBufferBindingSize: number }) | null
  /** Set when requestAdapter threw or timed out. */
  readonly adapterError?: string
}

export interface HostFacts {
  readonly deviceMemoryGB?: number
  readonly hardwareConcurrency: number
  readonly storageQuotaBytes?: number
  readonly storageUsageBytes?: number
}

/** SwiftShader, llvmpipe & co. rasterise on the CPU: usable for tests, hopeless for 1B+ models. */
export function isSoftwareAdapter(info: AdapterInfo | undefined): boolean {
  if (!info) return false
  if (info.isFallbackAdapter) return true
  return /swiftshader|llvmpipe|lavapipe|software|basic render/i.test(`${info.vendor} ${info.architecture} ${info.description}`)
}

/**
 * WebGPU deliberately hides VRAM size, so this is a guess from three hints:
 * 1. `navigator.deviceMemory` (GB, rounded, capped at 8 by Chrome). Integrated
 *    GPUs share system RAM and the OS, browser and page need the rest, so we
 *    dare use 60% of it. Unknown (Firefox/Safari) → assume the 8 GB cap.
 * 2. `maxBufferSize`: drivers size their largest allocation relative to real
 *    memory. At the deviceMemory cap (machine may have far more) a large
 *    maxBufferSize lets the budget grow to 2× it (max 16 GB); a small one
 *    (≤ 256 MB on low-end adapters) caps the budget at 4× it, since KV cache
 *    and activations need big buffers even though weights come in shards.
 * 3. Software/fallback adapters are capped at 1 GB: beyond that they are
 *    unusably slow even when they technically fit.
 * The user may still load a bigger model explicitly; DEVICE_LOST then falls
 * back to a smaller one (engine-controller.ts).
 */
export function estimateVramBudgetMB(f: {
  readonly maxBufferSize: number
  readonly deviceMemoryGB?: number
  readonly software: boolean
}): number {
  const ramGB = f.deviceMemoryGB ?? 8
  const bufferMB = f.maxBufferSize / MB
  let budget = ramGB * 1024 * 0.6
  if (ramGB >= 8) budget = Math.max(budget, Math.min(bufferMB * 2, 16384))
  budget = Math.min(budget, bufferMB * 4)
  if (f.software) budget = Math.min(budget, 1024)
  return Math.max(0, Math.floor(budget))
}

/** Turns raw facts into the contract shape; every "no" carries a reason a person can act on. */
export function summarizeProbe(gpu: GpuFacts, host: HostFacts): CapabilityProbe {
  const common = {
    hardwareConcurrency: host.hardwareConcurrency,
    ...(host.deviceMemoryGB !== undefined ? { deviceMemoryGB: host.deviceMemoryGB } : {}),
    ...(host.storageQuotaBytes !== undefined ? { storageQuotaBytes: host.storageQuotaBytes } : {}),
    ...(host.storageUsageBytes !== undefined ? { storageUsageBytes: host.storageUsageBytes } : {}),
  }
  const unavailable = (reason: string): CapabilityProbe => ({
    webgpu: false,
    webgpuUnavailableReason: reason,
    shaderF16: false,
    maxBufferSize: 0,
    maxStorageBufferBindingSize: 0,
    vramBudgetMB: 0,
    ...common,
  })
  if (!gpu.hasGpuApi) {
    return unavailable(
      gpu.secureContext
        ? 'This browser has no WebGPU (try Chrome/Edge 113+ or a browser with WebGPU enabled). You can still join the swarm, or try ?engine=sim for a simulated engine.'
        : 'WebGPU needs a secure context: open this page over https or on localhost.',
    )
  }
  if (gpu.adapterError !== undefined) return unavailable(`The browser failed to provide a WebGPU adapter: ${gpu.adapterError}`)
  const a = gpu.adapter
  if (!a) {
    return unavailable(
      'WebGPU is present but no GPU adapter was granted (no adapter: the GPU may be blocklisted or disabled; see chrome://gpu, or enable "Unsafe WebGPU" on Linux).',
    )
  }
  const adapter: AdapterInfo = { vendor: a.vendor, architecture: a.architecture, description: a.description, isFallbackAdapter: a.isFallbackAdapter }
  return {
    webgpu: true,
    adapter,
    shaderF16: a.shaderF16,
    maxBufferSize: a.maxBufferSize,
    maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
    vramBudgetMB: estimateVramBudgetMB({
      maxBufferSize: a.maxBufferSize,
      ...(host.deviceMemoryGB !== undefined ? { deviceMemoryGB: host.deviceMemoryGB } : {}),
      software: isSoftwareAdapter(adapter),
    }),
    ...common,
  }
}

/** The subset of (Worker)Navigator we touch; typed loosely because deviceMemory and adapter.info vary by browser. */
export interface NavigatorLike {
  readonly gpu?: { requestAdapter(opts?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<unknown> }
  readonly storage?: { estimate(): Promise<{ quota?: number; usage?: number }> }
  readonly deviceMemory?: number
  readonly hardwareConcurrency?: number
}

interface LooseAdapter {
  readonly info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean }
  readonly isFallbackAdapter?: boolean
  readonly features?: { has(name: string): boolean }
  readonly limits?: { maxBufferSize?: number; maxStorageBufferBindingSize?: number }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  // Some drivers never settle requestAdapter(); a probe that hangs would freeze the whole panel.
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
    )
  })
}

async function readGpu(nav: NavigatorLike, secureContext: boolean): Promise<GpuFacts> {
  if (!nav.gpu) return { hasGpuApi: false, secureContext, adapter: null }
  let raw: unknown
  try {
    raw = await withTimeout(nav.gpu.requestAdapter({ powerPreference: 'high-performance' }), 5000, 'requestAdapter()')
  } catch (err) {
    return { hasGpuApi: true, secureContext, adapter: null, adapterError: err instanceof Error ? err.message : String(err) }
  }
  if (raw === null || typeof raw !== 'object') return { hasGpuApi: true, secureContext, adapter: null }
  const ad = raw as LooseAdapter
  const info = ad.info ?? {}
  return {
    hasGpuApi: true,
    secureContext,
    adapter: {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      description: info.description ?? '',
      // Chrome moved isFallbackAdapter from the adapter onto adapter.info (M136); read both.
      isFallbackAdapter: info.isFallbackAdapter ?? ad.isFallbackAdapter ?? false,
      shaderF16: ad.features?.has('shader-f16') ?? false,
      maxBufferSize: ad.limits?.maxBufferSize ?? 0,
      maxStorageBufferBindingSize: ad.limits?.maxStorageBufferBindingSize ?? 0,
    },
  }
}

async function readHost(nav: NavigatorLike): Promise<HostFacts> {
  let quota: number | undefined
  let usage: number | undefined
  try {
    const est = await nav.storage?.estimate()
    quota = est?.quota
    usage = est?.usage
  } catch {
    // Storage estimate is advisory (blocked in some private modes); absence is fine.
  }
  return {
    hardwareConcurrency: nav.hardwareConcurrency ?? 1,
    ...(typeof nav.deviceMemory === 'number' ? { deviceMemoryGB: nav.deviceMemory } : {}),
    ...(quota !== undefined ? { storageQuotaBytes: quota } : {}),
    ...(usage !== undefined ? { storageUsageBytes: usage } : {}),
  }
}

/** Never throws: every failure becomes `webgpu: false` plus a reason. */
export async function probeCapabilities(
  nav: NavigatorLike = globalThis.navigator as unknown as NavigatorLike,
  secureContext: boolean = globalThis.isSecureContext ?? true,
): Promise<CapabilityProbe> {
  const [gpu, host] = await Promise.all([readGpu(nav ?? {}, secureContext), readHost(nav ?? {})])
  return summarizeProbe(gpu, host)
}
