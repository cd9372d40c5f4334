/**
 * A run's shared abort flag: one Int32 in a SharedArrayBuffer that the page
 * raises and the inference worker reads between decoding steps.
 *
 * Why: transformers.js on wasm decodes synchronously inside promises, so an
 * `abort(runId)` message only gets in when the worker gives its event loop a
 * task turn, and one turn per token cost 10–20 % of a small model's wall time
 * (README, worker overhead). Reading a shared flag costs nanoseconds, so the
 * engine checks it before every step and takes a turn only now and then for
 * the rest of its messages (workers/transformers-stream.ts, StepGate).
 *
 * SharedArrayBuffer exists only in a cross-origin isolated page (the server
 * sends COOP and COEP: signaling-server/isolation.ts, also in vite.config.ts). Where
 * it does not (a page served by something else), there is no flag and the
 * engine falls back to a turn per token: abort still works, only slower.
 *
 * The flag is an optimisation of the abort message, never a replacement: the
 * client raises it and still sends `abort(runId)`, which every engine handles.
 */

/** The one slot of the flag; 0 = running, anything else = stop. */
const SLOT = 0

/** A fresh lowered flag, or null when this context cannot share memory with a worker. */
export function createAbortFlag(scope: { crossOriginIsolated?: boolean } = globalThis): Int32Array | null {
  if (scope.crossOriginIsolated !== true || typeof SharedArrayBuffer !== 'function') return null
  return new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT))
}

export function raiseAbortFlag(flag: Int32Array): void {
  Atomics.store(flag, SLOT, 1)
}

export function isAbortFlagRaised(flag: Int32Array): boolean {
  return Atomics.load(flag, SLOT) !== 0
}

/**
 * What may cross the boundary as a flag: exactly one Int32 over shared
 * memory. A copied (non-shared) array would never see the page's store, so
 * a run given one could not be stopped that way; it is refused, not ignored.
 */
export function isAbortFlag(v: unknown): v is Int32Array {
  return v instanceof Int32Array && v.length === 1 && typeof SharedArrayBuffer === 'function' && v.buffer instanceof SharedArrayBuffer
}
