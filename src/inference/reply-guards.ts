/**
 * Type guards for everything the inference worker sends back. Worker replies
 * are untrusted (ARCHITECTURE.md invariant 5): a shape that fails here is
 * rejected as INTERNAL by `unwrapReply`, never passed on to the UI.
 */
import { isInferenceErrorCode } from '../errors'
import type { AdapterInfo, CacheEntry, CapabilityProbe, EngineStats, GenerateResult, LoadProgress, ModelInfo } from './types'
import type { InitInfo } from './protocol'

type Obj = Record<string, unknown>

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)
const isStr = (v: unknown): v is string => typeof v === 'string'
const isNum = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v)
const isBool = (v: unknown): v is boolean => typeof v === 'boolean'
const optNum = (v: unknown): boolean => v === undefined || isNum(v)
const optStr = (v: unknown): boolean => v === undefined || isStr(v)
const optBool = (v: unknown): boolean => v === undefined || isBool(v)
const oneOf =
  <T extends string>(...xs: T[]) =>
  (v: unknown): v is T =>
    isStr(v) && (xs as string[]).includes(v)

export const isEngineKind = oneOf('webllm', 'sim', 'transformers')
export const isBackend = oneOf('webgpu', 'wasm', 'none')
export const isEngineState = oneOf('no-webgpu', 'idle', 'downloading', 'loading', 'ready', 'generating', 'error')

export function isNull(v: unknown): v is null {
  return v === null
}

function isAdapterInfo(v: unknown): v is AdapterInfo {
  return isObj(v) && isStr(v.vendor) && isStr(v.architecture) && isStr(v.description) && isBool(v.isFallbackAdapter)
}

export function isCapabilityProbe(v: unknown): v is CapabilityProbe {
  return (
    isObj(v) &&
    isBool(v.webgpu) &&
    (v.webgpuUnavailableReason === undefined || isStr(v.webgpuUnavailableReason)) &&
    (v.adapter === undefined || isAdapterInfo(v.adapter)) &&
    isBool(v.shaderF16) &&
    isNum(v.maxBufferSize) &&
    isNum(v.maxStorageBufferBindingSize) &&
    isNum(v.vramBudgetMB) &&
    optNum(v.storageQuotaBytes) &&
    optNum(v.storageUsageBytes) &&
    optNum(v.deviceMemoryGB) &&
    isNum(v.hardwareConcurrency)
  )
}

export function isModelInfo(v: unknown): v is ModelInfo {
  return (
    isObj(v) &&
    isStr(v.id) &&
    isEngineKind(v.engine) &&
    isNum(v.vramRequiredMB) &&
    isBool(v.lowResourceRequired) &&
    Array.isArray(v.requiredFeatures) &&
    v.requiredFeatures.every(isStr) &&
    isStr(v.quantization) &&
    isNum(v.contextWindow) &&
    isBool(v.supportsJsonSchema) &&
    optBool(v.testFixture)
  )
}

export function isModelList(v: unknown): v is readonly ModelInfo[] {
  return Array.isArray(v) && v.every(isModelInfo)
}

export function isLoadProgress(v: unknown): v is LoadProgress {
  return (
    isObj(v) &&
    isNum(v.progress) &&
    isStr(v.text) &&
    optNum(v.loadedBytes) &&
    optNum(v.totalBytes) &&
    (v.phase === 'downloading' || v.phase === 'loading')
  )
}

export function isGenerateResult(v: unknown): v is GenerateResult {
  const u = isObj(v) ? v.usage : undefined
  return (
    isObj(v) &&
    isStr(v.runId) &&
    isStr(v.text) &&
    (v.finishReason === 'stop' || v.finishReason === 'length' || v.finishReason === 'abort') &&
    isObj(u) &&
    isNum(u.promptTokens) &&
    isNum(u.completionTokens) &&
    isNum(u.decodeTokensPerSec) &&
    isNum(u.prefillTokensPerSec) &&
    isEngineKind(v.engine) &&
    isStr(v.model) &&
    isBool(v.simulated)
  )
}

export function isCacheList(v: unknown): v is readonly CacheEntry[] {
  return Array.isArray(v) && v.every((e) => isObj(e) && isStr(e.modelId) && isBool(e.cached))
}

export function isEngineStats(v: unknown): v is EngineStats {
  const e = isObj(v) ? v.lastError : undefined
  return (
    isObj(v) &&
    isEngineKind(v.engine) &&
    isBool(v.simulated) &&
    isBackend(v.backend) &&
    isEngineState(v.state) &&
    (v.model === null || isStr(v.model)) &&
    (v.tokensPerSec === null || isNum(v.tokensPerSec)) &&
    (e === null || (isObj(e) && isInferenceErrorCode(e.code) && isStr(e.message))) &&
    optStr(v.note)
  )
}

export function isInitInfo(v: unknown): v is InitInfo {
  return isObj(v) && isNum(v.protocolVersion) && isEngineKind(v.engine)
}
