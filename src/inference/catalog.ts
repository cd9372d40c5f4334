/**
 * Model catalog: pure functions over web-llm's own `prebuiltAppConfig.model_list`
 * (its ModelRecord is the source of truth for ids, VRAM needs and wasm libs).
 * Only types are imported from web-llm here, so the main bundle stays free of
 * the engine; the worker passes the real list in.
 *
 * Mirror layout (`?models=BASE_URL`, see `withMirror`): a static tree that
 * mirrors Hugging Face's URL shape, so `huggingface-cli download` output or a
 * plain `wget` of the original URLs can be dropped in unchanged:
 *
 *   BASE_URL/<model_id>/resolve/main/mlc-chat-config.json
 *   BASE_URL/<model_id>/resolve/main/tensor-cache.json, params_shard_*.bin, tokenizer files
 *   BASE_URL/<model_id>/resolve/main/mlc-model-manifest.json   (only models whose record names one)
 *   BASE_URL/libs/<basename of the record's model_lib>          e.g. libs/Qwen3-0.6B-q4f32_1_cs1k-webgpu.wasm
 *
 * web-llm appends `resolve/main/` to any model URL lacking a `/resolve/<branch>/`
 * segment, which is why it is part of the layout rather than optional.
 */
import type { AppConfig, ModelRecord } from '@mlc-ai/web-llm'
import { InferenceError } from '../errors'
import type { CapabilityProbe, ModelInfo } from './types'
import { isSoftwareAdapter } from './probe'

const QUANT = /-(q\d+f(?:16|32)(?:_\d+)?)(?:-|$)/

/** e.g. "q4f16_1"; "unknown" when the id does not follow MLC's naming. */
export function quantizationOf(record: Pick<ModelRecord, 'model_id' | 'model_lib'>): string {
  return QUANT.exec(record.model_id)?.[1] ?? QUANT.exec(record.model_lib.split('/').pop() ?? '')?.[1] ?? 'unknown'
}

/**
 * f16 weights/activations need the `shader-f16` WebGPU feature, but many
 * prebuilt records (e.g. Llama-3.2-1B q4f16_1, gemma3-1b) omit it from
 * `required_features`, so the quantization name is checked as well.
 */
export function needsShaderF16(record: ModelRecord): boolean {
  return (record.required_features ?? []).includes('shader-f16') || /f16/.test(quantizationOf(record))
}

/** LLM (chat) records only: embedding (1) and VLM (2) models can't serve our roles. */
export function isChatModel(record: ModelRecord): boolean {
  return Number(record.model_type ?? 0) === 0
}

/**
 * web-llm constrains JSON output with xgrammar for every LLM, but base models
 * don't follow instructions and reasoning distills expect to think first, so
 * forced JSON from them is unreliable: we don't offer them for structured roles.
 */
export function supportsJsonSchema(record: ModelRecord): boolean {
  return isChatModel(record) && !/-Base-|DeepSeek-R1|Reasoning/i.test(record.model_id)
}

export function toModelInfo(record: ModelRecord): ModelInfo {
  const ctx = record.overrides?.context_window_size
  return {
    id: record.model_id,
    engine: 'webllm',
    vramRequiredMB: Math.ceil(record.vram_required_MB ?? 0),
    lowResourceRequired: record.low_resource_required ?? false,
    requiredFeatures: [...new Set([...(record.required_features ?? []), ...(needsShaderF16(record) ? ['shader-f16'] : [])])],
    quantization: quantizationOf(record),
    contextWindow: typeof ctx === 'number' && ctx > 0 ? ctx : 4096,
    supportsJsonSchema: supportsJsonSchema(record),
  }
}

/** Phones and CPU-rasterised adapters: only records flagged low_resource_required. */
export function isSmallDevice(probe: CapabilityProbe): boolean {
  return (probe.deviceMemoryGB ?? Infinity) <= 4 || probe.vramBudgetMB <= 2048 || isSoftwareAdapter(probe.adapter)
}

/** Hard blockers: the model cannot run here at all. Returns a reason, or null. */
export function hardBlocker(record: ModelRecord, probe: CapabilityProbe): string | null {
  if (!probe.webgpu) return `WebGPU is unavailable: ${probe.webgpuUnavailableReason ?? 'unknown reason'}`
  if (!isChatModel(record)) return `${record.model_id} is not a chat model`
  if (needsShaderF16(record) && !probe.shaderF16) return `${record.model_id} needs the WebGPU shader-f16 feature, which this GPU lacks; pick a q4f32 model`
  const unknown = (record.required_features ?? []).filter((f) => f !== 'shader-f16')
  if (unknown.length > 0) return `${record.model_id} needs WebGPU features we cannot check: ${unknown.join(', ')}`
  const need = record.buffer_size_required_bytes
  if (need !== undefined && probe.maxStorageBufferBindingSize > 0 && need > probe.maxStorageBufferBindingSize) {
    return `${record.model_id} needs ${Math.round(need / 2 ** 20)} MB storage buffers; this GPU allows ${Math.round(probe.maxStorageBufferBindingSize / 2 ** 20)} MB`
  }
  return null
}

/** Soft blockers are guesses (VRAM budget, device size): explicit loads may override them. */
export function softBlocker(record: ModelRecord, probe: CapabilityProbe): string | null {
  const vram = record.vram_required_MB ?? 0
  if (vram > probe.vramBudgetMB) return `${record.model_id} needs ~${Math.ceil(vram)} MB of GPU memory; this device's budget is ~${probe.vramBudgetMB} MB`
  if (isSmallDevice(probe) && record.low_resource_required !== true) return `${record.model_id} is not marked as suitable for low-resource devices`
  return null
}

/** What the model select offers: runnable chat models, smallest first. */
export function runnableModels(records: readonly ModelRecord[], probe: CapabilityProbe): ModelInfo[] {
  return records
    .filter((r) => hardBlocker(r, probe) === null && softBlocker(r, probe) === null)
    .map(toModelInfo)
    .sort((a, b) => a.vramRequiredMB - b.vramRequiredMB || a.id.localeCompare(b.id))
}

function isGeneralChat(m: ModelInfo): boolean {
  return m.supportsJsonSchema && !/Coder|Math/i.test(m.id)
}

/** Test fixtures prove an engine path; they are chosen only by name (?model=), never as a default or a fallback. */
const useful = (models: readonly ModelInfo[]): ModelInfo[] => models.filter((m) => !m.testFixture)

/**
 * Default = smallest general chat model with JSON-schema support, 4-bit
 * quantized (q4f16 when the list has any, i.e. the GPU has shader-f16, else
 * q4f32); engines without JSON support (transformers.js): the smallest model.
 * Returns null when nothing but test fixtures fits.
 */
export function pickDefaultModel(all: readonly ModelInfo[]): ModelInfo | null {
  const models = useful(all)
  const chat = models.filter(isGeneralChat)
  const bySize = (xs: ModelInfo[]) => [...xs].sort((a, b) => a.vramRequiredMB - b.vramRequiredMB)[0] ?? null
  return (
    bySize(chat.filter((m) => m.quantization.startsWith('q4f16'))) ??
    bySize(chat.filter((m) => m.quantization.startsWith('q4f32'))) ??
    bySize(chat) ??
    bySize([...models])
  )
}

/** DEVICE_LOST fallback: the largest model strictly smaller than `currentId`, same preferences as the default. */
export function nextSmallerModel(models: readonly ModelInfo[], currentId: string): ModelInfo | null {
  const current = models.find((m) => m.id === currentId)
  const limit = current?.vramRequiredMB ?? Infinity
  const smaller = useful(models).filter((m) => m.id !== currentId && m.vramRequiredMB < limit)
  const pick = (xs: ModelInfo[]) => [...xs].sort((a, b) => b.vramRequiredMB - a.vramRequiredMB)[0] ?? null
  return pick(smaller.filter(isGeneralChat)) ?? pick(smaller)
}

export function findRecord(appConfig: AppConfig, modelId: string): ModelRecord {
  const record = appConfig.model_list.find((r) => r.model_id === modelId)
  if (!record) {
    throw new InferenceError('MODEL_NOT_FOUND', `Unknown model "${modelId}": it is not in this engine's catalog. Pick one from the model list.`)
  }
  return record
}

/** Mirrors web-llm's cleanModelUrl(): the directory its fetches are relative to. */
export function modelBaseUrl(record: Pick<ModelRecord, 'model'>): string {
  let url = record.model.endsWith('/') ? record.model : `${record.model}/`
  if (!/.+\/resolve\/.+\//.test(url)) url += 'resolve/main/'
  return url
}

/** Rewrites every record to fetch from BASE_URL (absolute; see the layout above). */
export function withMirror(appConfig: AppConfig, baseUrl: string): AppConfig {
  let base: URL
  try {
    base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`)
  } catch {
    throw new InferenceError('BAD_REQUEST', `The model mirror URL "${baseUrl}" is not an absolute URL (e.g. https://example.org/models).`)
  }
  return {
    ...appConfig,
    model_list: appConfig.model_list.map((r) => ({
      ...r,
      model: new URL(`${encodeURIComponent(r.model_id)}/resolve/main/`, base).href,
      model_lib: new URL(`libs/${r.model_lib.split('/').pop() ?? ''}`, base).href,
    })),
  }
}
