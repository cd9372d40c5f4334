/**
 * The transformers.js engine's catalog: a curated list of small instruct
 * models with 4-bit ONNX weights (`onnx/model_q4.onnx`, dtype 'q4': plain
 * MatMulNBits, no shader-f16 needed, so the same file runs on WebGPU and on
 * WASM), plus the project's own tiny fixture. Pure: the worker
 * (workers/transformers-engine.ts) resolves where each model's files live
 * with `modelSource` and lists what fits with `transformersModels`.
 *
 * Where files come from:
 * - `tiny-fixture`: always this server's `/models/tiny-fixture/` (built by
 *   scripts/tiny-model/build.ts and served by signaling-server/), flat:
 *     /models/tiny-fixture/config.json, generation_config.json, tokenizer.json,
 *     tokenizer_config.json, onnx/model_q4.onnx
 * - every other model: the Hugging Face hub, or the `?models=BASE_URL` mirror,
 *   which uses the same layout as the WebLLM mirror (catalog.ts), so one
 *   mirror folder serves both engines:
 *     BASE_URL/<model_id>/resolve/main/config.json, generation_config.json,
 *       tokenizer.json, tokenizer_config.json, onnx/model_q4.onnx
 *   e.g. `huggingface-cli download HuggingFaceTB/SmolLM2-135M-Instruct
 *   --include '*.json' onnx/model_q4.onnx --local-dir DIR/HuggingFaceTB/SmolLM2-135M-Instruct/resolve/main`.
 */
import type { Backend, CapabilityProbe, ModelInfo } from './types'

export const TINY_FIXTURE_ID = 'tiny-fixture'
export const HF_HUB = 'https://huggingface.co/'
/** transformers.js file-name suffix for dtype 'q4' (onnx/model_q4.onnx). */
export const TRANSFORMERS_DTYPE = 'q4'

export interface TransformersRecord {
  readonly id: string
  /** Download size of the q4 ONNX file, MB; the in-memory footprint is a little larger. */
  readonly sizeMB: number
  readonly contextWindow: number
  readonly testFixture?: true
}

/**
 * Sizes from the hub's file listings (model_q4.onnx). Context windows are
 * capped at 4096: longer ones need more KV cache than a browser tab should take,
 * and no role prompt comes close.
 */
export const TRANSFORMERS_CATALOG: readonly TransformersRecord[] = [
  { id: TINY_FIXTURE_ID, sizeMB: 1, contextWindow: 2048, testFixture: true },
  { id: 'HuggingFaceTB/SmolLM2-135M-Instruct', sizeMB: 200, contextWindow: 4096 },
  { id: 'HuggingFaceTB/SmolLM2-360M-Instruct', sizeMB: 417, contextWindow: 4096 },
  { id: 'onnx-community/Qwen2.5-0.5B-Instruct', sizeMB: 786, contextWindow: 4096 },
]

export function findTransformersRecord(modelId: string): TransformersRecord | undefined {
  return TRANSFORMERS_CATALOG.find((r) => r.id === modelId)
}

export function toTransformersModelInfo(r: TransformersRecord): ModelInfo {
  return {
    id: r.id,
    engine: 'transformers',
    vramRequiredMB: r.sizeMB,
    lowResourceRequired: r.sizeMB <= 500,
    requiredFeatures: [],
    quantization: TRANSFORMERS_DTYPE,
    contextWindow: r.contextWindow,
    // Grammar-constrained decoding in the worker (workers/json-grammar.ts, on xgrammar), on every transformers.js model.
    supportsJsonSchema: true,
    ...(r.testFixture ? { testFixture: true } : {}),
  }
}

/** WASM runs in 32-bit linear memory (4 GB at most, and the tab needs some of it). */
const WASM_BUDGET_MB = 2048

/** What the model select offers on this backend: everything that fits, smallest first. */
export function transformersModels(backend: Backend, probe: CapabilityProbe): ModelInfo[] {
  const budget = backend === 'webgpu' ? probe.vramBudgetMB : WASM_BUDGET_MB
  return TRANSFORMERS_CATALOG.filter((r) => r.testFixture || r.sizeMB <= budget)
    .map(toTransformersModelInfo)
    .sort((a, b) => a.vramRequiredMB - b.vramRequiredMB || a.id.localeCompare(b.id))
}

/**
 * Where transformers.js fetches a model's files from: `base` plus its
 * `remotePathTemplate` (`{model}` and `{revision}` are filled in by the
 * library). Everything is fetched as "remote": transformers.js only probes
 * relative paths as local files, and the fixture lives at an absolute URL.
 */
export interface ModelSource {
  readonly base: string
  readonly pathTemplate: string
  /** Cache the files in Cache Storage (not the fixture: small, local, and rebuilt under the same names). */
  readonly cache: boolean
}

export function modelSource(modelId: string, opts: { readonly localModelsUrl: string; readonly mirrorUrl?: string }): ModelSource {
  const slash = (u: string) => (u.endsWith('/') ? u : `${u}/`)
  if (modelId === TINY_FIXTURE_ID) return { base: slash(opts.localModelsUrl), pathTemplate: '{model}/', cache: false }
  return { base: slash(opts.mirrorUrl ?? HF_HUB), pathTemplate: '{model}/resolve/{revision}/', cache: true }
}

/** The URL transformers.js fetches (and caches under) for one file of a model, at revision main. */
export function modelFileUrl(modelId: string, file: string, source: ModelSource): string {
  return new URL(source.pathTemplate.replaceAll('{model}', modelId).replaceAll('{revision}', 'main') + file, source.base).href
}

export const WEIGHTS_FILE = `onnx/model_${TRANSFORMERS_DTYPE}.onnx`
