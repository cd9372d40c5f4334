/**
 * Loads @huggingface/transformers on first use (a dynamic import, so tabs on
 * WebLLM never download it) and points it at our own files:
 * - ONNX Runtime's WASM binary is bundled by Vite (`?url`) and served from
 *   our origin. Without this, transformers.js tells ORT to fetch it from a
 *   CDN, which fails offline and leaks that the tab runs a model.
 * - models come from this server's /models/ (tiny-fixture), the hub or a
 *   `?models=` mirror, see src/inference/transformers-catalog.ts. `env` is global to the library,
 *   which is fine because one worker loads one model at a time.
 */
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url'
import type { ModelSource } from '../src/inference/transformers-catalog'

export type Transformers = typeof import('@huggingface/transformers')

let loading: Promise<Transformers> | null = null

/** The library, configured once; `fetchImpl` lets the engine abort downloads when a load is cancelled. */
export function loadTransformers(fetchImpl: typeof fetch): Promise<Transformers> {
  loading ??= import('@huggingface/transformers').then((lib) => {
    const wasm = lib.env.backends.onnx.wasm
    if (wasm) {
      // Only the .wasm is overridden: ORT then uses the JS glue embedded in its own bundle (same origin).
      wasm.wasmPaths = { wasm: new URL(ortWasmUrl, globalThis.location?.href ?? 'http://localhost/').href }
      // One thread, deliberately, although the page is now cross-origin isolated (for the shared abort flag,
      // src/inference/abort-flag.ts) and ORT could start a thread pool: unmeasured, and on a small machine the
      // extra threads would compete with the page and the other tabs of the swarm.
      wasm.numThreads = 1
      wasm.proxy = false
    }
    lib.env.fetch = fetchImpl
    return lib
  })
  loading.catch(() => {
    loading = null // a failed chunk download may succeed on the next load
  })
  return loading
}

/** Points the library at one model's files before loading it. */
export function pointAt(lib: Transformers, source: ModelSource): void {
  const env = lib.env
  env.allowLocalModels = false
  env.allowRemoteModels = true
  env.remoteHost = source.base
  env.remotePathTemplate = source.pathTemplate
  env.useBrowserCache = source.cache
}
