/**
 * Which engine and backend a tab runs when the URL does not say, as pure
 * policy over the capability probe (the worker's service applies it at
 * init). The goal is "every tab can contribute": WebLLM when this GPU can
 * run one of its models, otherwise transformers.js, on WebGPU or on the CPU
 * through WASM. The simulated engine is never chosen automatically.
 */
import { isSoftwareAdapter } from './probe'
import type { CapabilityProbe } from './types'

export type TransformersDevice = 'webgpu' | 'wasm'

export function isTransformersDevice(v: unknown): v is TransformersDevice {
  return v === 'webgpu' || v === 'wasm'
}

/**
 * transformers.js device when none was asked for: WebGPU on a hardware
 * adapter; WASM otherwise, because software adapters (SwiftShader, llvmpipe)
 * emulate the GPU on the CPU and run ONNX models several times slower than
 * ONNX Runtime's own WASM kernels (see bench/run.ts).
 */
export function autoDevice(probe: CapabilityProbe): TransformersDevice {
  return probe.webgpu && !isSoftwareAdapter(probe.adapter) ? 'webgpu' : 'wasm'
}

export interface Fallback {
  readonly device: TransformersDevice
  /** Shown in the node panel, so the switch is never silent. */
  readonly note: string
}

/**
 * Whether the default engine (WebLLM) should hand over to transformers.js:
 * when there is no WebGPU adapter at all, or when WebGPU works but none of
 * WebLLM's models fits this device. Returns null to stay on WebLLM.
 */
export function webllmFallback(probe: CapabilityProbe, runnableWebllmModels: number): Fallback | null {
  if (!probe.webgpu) {
    const why = (probe.webgpuUnavailableReason ?? 'no adapter').replace(/\.$/, '')
    return { device: 'wasm', note: `WebGPU unavailable (${why}). Running transformers.js on the CPU (wasm) instead, so this tab still contributes.` }
  }
  if (runnableWebllmModels === 0) {
    const device = autoDevice(probe)
    return { device, note: `No WebLLM model fits this GPU; running transformers.js on ${device} instead.` }
  }
  return null
}
