/**
 * Coalesces a run's streamed text deltas before they cross the worker
 * boundary. Without it every token cost a comlink call: a message to the
 * page, a task there, a reply message and a task back in the worker, all
 * competing for the CPU the model decodes on (the fixture decodes a token in
 * about a millisecond on wasm, so that traffic doubled the wall time).
 *
 * Policy, for the service (service.ts), which owns one batcher per run:
 * - leading edge: a delta that arrives after a quiet interval is sent at
 *   once, so the first text of a reply is never held back;
 * - otherwise deltas are buffered and sent together, at most once per
 *   `intervalMs` (about one frame: the page cannot show text more often);
 *   a timer sends the tail when the engine goes quiet (WebGPU waits on the
 *   GPU between tokens; that is when the timer gets its turn);
 * - `close()` sends whatever is buffered, synchronously: the service calls
 *   it before it answers generate, so the text precedes the reply on the
 *   port and nothing is lost, also when the run failed or was aborted;
 * - sends are in push order, one `seq` per batch, never an empty batch.
 */
import type { Clock } from '../clock'

/** About one display frame at 60 Hz. */
export const DELTA_BATCH_MS = 16

export class DeltaBatcher {
  private buffer = ''
  private seq = 0
  private lastSentAt = Number.NEGATIVE_INFINITY
  private cancelTimer: (() => void) | null = null
  private closed = false

  constructor(
    private readonly send: (text: string, seq: number) => void,
    private readonly clock: Pick<Clock, 'now' | 'setTimeout'>,
    private readonly intervalMs: number = DELTA_BATCH_MS,
  ) {}

  /** How many batches went out so far. */
  get sent(): number {
    return this.seq
  }

  push(delta: string): void {
    if (this.closed || delta.length === 0) return
    this.buffer += delta
    const wait = this.lastSentAt + this.intervalMs - this.clock.now()
    if (wait <= 0) return this.flush()
    this.cancelTimer ??= this.clock.setTimeout(() => {
      this.cancelTimer = null
      this.flush()
    }, wait)
  }

  /** Sends the buffer now (if any) and ends the batching: later pushes are ignored. */
  close(): void {
    if (this.closed) return
    this.flush()
    this.closed = true
  }

  private flush(): void {
    this.cancelTimer?.()
    this.cancelTimer = null
    if (this.buffer.length === 0) return
    const text = this.buffer
    this.buffer = ''
    this.lastSentAt = this.clock.now()
    this.send(text, this.seq++)
  }
}
