/**
 * The pieces around transformers.js's `model.generate()` loop that make it
 * behave like our other engines: a streamer that turns token ids into text
 * deltas and timestamps them (for tok/s), and a gate before each decoding
 * step that reads the run's shared abort flag and gives the worker's event
 * loop a turn when one is due, so Stop and other messages get in at all.
 * Both run once per token, so the streamer does O(1) decoding work per token.
 */
import { createNextTask, type NextTask } from '../src/clock'
import { isAbortFlagRaised } from '../src/inference/abort-flag'

/** What the streamer needs of a transformers.js tokenizer. */
export interface Decoder {
  decode(ids: number[], opts: { skip_special_tokens: boolean }): string
}

/**
 * transformers.js calls `put()` once with the prompt ids, then once per new
 * token, and `end()` when done (see `generate()` in its generation loop).
 *
 * Text is decoded incrementally over a small window, the way vLLM and TGI
 * detokenize: `ids[prefix..read)` is text already emitted, kept as context
 * so a decoder that treats the first token of a sequence specially (leading
 * space) or joins across tokens sees the same neighbours as a full decode;
 * the delta is what `ids[prefix..)` adds to it. Re-decoding every id per
 * token, as this did before, cost O(n²) over a reply. A window that ends in
 * U+FFFD is a multi-byte character split over byte-level tokens: it waits for
 * the next token. Windows start only where a decode ended on a whole
 * character, so for byte-level vocabularies the deltas add up to the full
 * decode exactly; `text()` (one full decode) stays authoritative for the
 * result either way.
 */
export class DeltaStreamer {
  readonly ids: number[] = []
  firstTokenAt = 0
  lastTokenAt = 0
  private sawPrompt = false
  private prefix = 0
  private read = 0

  constructor(
    private readonly tokenizer: Decoder,
    private readonly emit: (delta: string) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  put(value: bigint[][]): void {
    if (!this.sawPrompt) {
      this.sawPrompt = true
      return
    }
    const id = value[0]?.[0]
    if (id === undefined) return
    this.ids.push(Number(id))
    const t = this.now()
    if (this.ids.length === 1) this.firstTokenAt = t
    this.lastTokenAt = t
    this.flush(false)
  }

  end(): void {
    this.flush(true)
  }

  /** The full decoded text: authoritative for the result, whatever was streamed. */
  text(): string {
    return this.decode(0, this.ids.length)
  }

  private decode(from: number, to: number): string {
    return this.tokenizer.decode(this.ids.slice(from, to), { skip_special_tokens: true })
  }

  private flush(final: boolean): void {
    if (this.read === this.ids.length) return
    const before = this.prefix === this.read ? '' : this.decode(this.prefix, this.read)
    const after = this.decode(this.prefix, this.ids.length)
    // Nothing new yet (a special token decodes to ''), or half a character: keep the window growing.
    if (after.length <= before.length || (!final && after.endsWith('\uFFFD'))) return
    // A decoder that rewrote the context (rare clean-up rules) is not re-streamed: the result carries the final text.
    this.emit(after.slice(before.length))
    this.prefix = this.read
    this.read = this.ids.length
  }
}

/**
 * Decode speed from the streamer's timestamps: tokens after the first over
 * the time since the first (the first token's latency is prefill). Prefill
 * speed: prompt tokens over the time to the first token.
 */
export function measureSpeeds(promptTokens: number, startedAt: number, s: Pick<DeltaStreamer, 'ids' | 'firstTokenAt' | 'lastTokenAt'>): { decode: number; prefill: number } {
  const n = s.ids.length
  if (n === 0) return { decode: 0, prefill: 0 }
  const prefillMs = Math.max(1e-3, s.firstTokenAt - startedAt)
  const decodeMs = s.lastTokenAt - s.firstTokenAt
  const decode = n >= 2 && decodeMs > 0 ? ((n - 1) * 1000) / decodeMs : (n * 1000) / prefillMs
  return { decode, prefill: (promptTokens * 1000) / prefillMs }
}

/**
 * Runs before every decoding step and decides whether the worker's event
 * loop gets a task turn. transformers.js's generate loop only awaits
 * promises, and ONNX Runtime's WASM backend runs synchronously inside them,
 * so without a real task boundary a message posted by the page (`abort()`,
 * `unload()`, `stats()`) waits in the queue until generation ends.
 *
 * - A run without a shared abort flag (the page is not cross-origin
 *   isolated, see src/inference/abort-flag.ts) takes a turn before every
 *   step, so its abort message lands within one token. That turn is a
 *   MessageChannel round trip (createNextTask): setTimeout(0) is clamped to
 *   4 ms once nested, and `scheduler.yield()`, though cheaper, resumes ahead
 *   of queued messages (the abort e2e test never saw its abort arrive). It
 *   cost 10–20 % of the wall time on the wasm fixture; skipping turns instead
 *   (tried: at most one per 2 ms) let an abort run on for a token or two.
 * - A run with a flag reads it before every step (`onRaised` stops the run
 *   within that step, exactly as the abort message would) and takes a turn
 *   only when `turnEveryMs` has passed since the last one, so every other
 *   message still gets in within about that long.
 */
export const TURN_EVERY_MS = 50

export class StepGate {
  private lastTurnAt = Number.NEGATIVE_INFINITY

  constructor(
    private readonly next: NextTask = createNextTask(),
    private readonly now: () => number = () => performance.now(),
    private readonly turnEveryMs: number = TURN_EVERY_MS,
  ) {}

  /** Resolves when the step may run; synchronous (undefined) when no turn is due. */
  beforeStep(abortFlag: Int32Array | null, onRaised: () => void): Promise<void> | undefined {
    if (abortFlag) {
      if (isAbortFlagRaised(abortFlag)) onRaised()
      if (this.now() - this.lastTurnAt < this.turnEveryMs) return undefined
    }
    return new Promise<void>((resolve) =>
      this.next(() => {
        this.lastTurnAt = this.now()
        resolve()
      }),
    )
  }
}
