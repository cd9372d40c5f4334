/**
 * Turns transformers.js's per-file progress events (`initiate`, `download`,
 * `progress` with bytes, `done`, and the aggregated `progress_total`) into
 * our LoadProgress. We aggregate the `progress` events ourselves over every
 * file seen so far, because the weights file (hundreds of MB) dominates and
 * the small JSON files must not make the bar jump back to 0 % when it starts.
 * After the weights are in, ONNX Runtime still has to build the session
 * (compile WebGPU shaders or instantiate WASM kernels): phase 'loading'.
 */
import type { LoadProgress } from '../src/inference/types'

/** The fields of transformers.js's ProgressInfo we read; the rest is ignored. */
export interface RawProgress {
  readonly status: string
  readonly file?: string
  readonly loaded?: number
  readonly total?: number
}

export class LoadProgressTracker {
  private readonly files = new Map<string, { loaded: number; total: number }>()
  private weightsDone = false

  constructor(
    private readonly modelId: string,
    private readonly weightsFile: string,
    private readonly device: string,
    /** Weights already in the browser cache: reading them back is "loading", not "downloading". */
    private readonly cached: boolean,
  ) {}

  /** Returns the progress to report, or null for events that change nothing worth showing. */
  update(raw: RawProgress): LoadProgress | null {
    const file = typeof raw.file === 'string' ? raw.file : ''
    if (raw.status === 'progress' && file) {
      const loaded = finite(raw.loaded)
      const total = Math.max(finite(raw.total), loaded)
      this.files.set(file, { loaded, total })
    } else if (raw.status === 'done' && file === this.weightsFile) {
      this.weightsDone = true
    } else if (raw.status !== 'initiate' && raw.status !== 'download') {
      return null
    }
    if (this.weightsDone) return this.sessionStarting()
    let loaded = 0
    let total = 0
    for (const f of this.files.values()) {
      loaded += f.loaded
      total += f.total
    }
    const progress = total > 0 ? Math.min(1, loaded / total) : 0
    const verb = this.cached ? 'Reading' : 'Fetching'
    const text = `${verb} ${this.modelId}${file ? ` (${file})` : ''}`
    return total > 0
      ? { progress, text, phase: this.cached ? 'loading' : 'downloading', loadedBytes: loaded, totalBytes: total }
      : { progress, text, phase: this.cached ? 'loading' : 'downloading' }
  }

  sessionStarting(): LoadProgress {
    return { progress: 1, phase: 'loading', text: `Creating the ONNX Runtime session for ${this.modelId} on ${this.device}…` }
  }
}

function finite(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0
}
