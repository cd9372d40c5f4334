/**
 * Grammar-constrained decoding inside transformers.js's `generate()` loop.
 *
 * transformers.js calls each logits processor synchronously (the call in
 * modeling_utils.js `generate()` is not awaited), after its own processors
 * (temperature, penalties, bad words) and before sampling. So every step here
 * is synchronous: xgrammar's public `getNextTokenBitmask()` is async only to
 * await its module init, and the embind call behind it,
 * `matcher.handle.GetNextTokenBitmask(vocabSize)`, returns the same bitmask
 * synchronously as a VectorInt that must be `.delete()`d.
 *
 * Each call first feeds the matcher the token sampled since the previous
 * call (the processor sees the prompt plus every generated id), then masks
 * every token the grammar forbids to -Infinity. Stop tokens are allowed only
 * once the JSON is complete, so the model's own EOS ends a finished reply;
 * a reply cut off by max_new_tokens simply ends (finishReason 'length').
 *
 * Reading the VectorInt element by element costs one embind call per 32
 * tokens: ~10 ms per step on a 150k vocabulary, against ~0.03 ms for the mask
 * itself. So runGeneration also calls `prefetch()` before each forward pass
 * (an async point in the loop), which accepts the newly sampled token and
 * fetches the mask through xgrammar's async API (one typed-array copy); the
 * synchronous step then only applies it. The element-wise read stays as the
 * fallback when nothing prefetched.
 *
 * A dead end (the grammar allows nothing the model may still pick, e.g.
 * because another processor banned it, or a sampled token is rejected)
 * must not hang or produce garbage: the guide records GRAMMAR_DEAD_END and
 * forces a stop token, so generate() ends cleanly and frees its tensors, and
 * the caller throws the recorded error (transformers-run.ts).
 */
import type { Tensor } from '@huggingface/transformers'
import { InferenceError } from '../src/errors'
import type { Transformers } from './transformers-env'

/** What the guide needs of an xgrammar matcher; `nextBitmask` fills ceil(vocabSize/32) words, bit set = allowed. */
export interface TokenMatcher {
  acceptToken(id: number): boolean
  isTerminated(): boolean
  nextBitmask(out: Int32Array): void
  /** The same mask through xgrammar's async API (a single copy out of the wasm heap). */
  nextBitmaskAsync?(): Promise<Int32Array>
}

interface VectorInt {
  size(): number
  get(i: number): number
  delete(): void
}

/** The synchronous bitmask of an xgrammar GrammarMatcher (see the file comment for why the handle). */
export function tokenMatcher(matcher: { acceptToken(id: number): boolean; isTerminated(): boolean; getNextTokenBitmask(): Promise<Int32Array> }, vocabSize: number): TokenMatcher {
  const handle = (matcher as unknown as { handle: { GetNextTokenBitmask(n: number): VectorInt } }).handle
  return {
    acceptToken: (id) => matcher.acceptToken(id),
    isTerminated: () => matcher.isTerminated(),
    nextBitmask: (out) => {
      const v = handle.GetNextTokenBitmask(vocabSize)
      try {
        const n = Math.min(v.size(), out.length)
        for (let i = 0; i < n; i++) out[i] = v.get(i)
      } finally {
        v.delete()
      }
    },
    nextBitmaskAsync: () => matcher.getNextTokenBitmask(),
  }
}

/**
 * Masks `logits` in place with an xgrammar bitmask: -Infinity for every id
 * whose bit is clear, and for ids beyond `vocabSize` or the mask (models
 * whose logits are wider than their vocabulary). Returns whether any allowed
 * id still has a finite logit, i.e. whether the sampler has something to pick. Pure.
 */
export function applyBitmask(logits: Float32Array, mask: Int32Array, vocabSize: number): boolean {
  const limit = Math.min(logits.length, vocabSize, mask.length * 32)
  let any = false
  for (let w = 0, base = 0; base < limit; w++, base += 32) {
    const bits = mask[w]!
    const end = Math.min(base + 32, limit)
    if (bits === -1) {
      if (!any) for (let i = base; i < end; i++) if (logits[i]! > -Infinity) any = true
    } else if (bits === 0) {
      logits.fill(-Infinity, base, end)
    } else {
      for (let i = base; i < end; i++) {
        if ((bits >>> (i - base)) & 1) {
          if (!any && logits[i]! > -Infinity) any = true
        } else logits[i] = -Infinity
      }
    }
  }
  if (limit < logits.length) logits.fill(-Infinity, limit)
  return any
}

export interface GuideOptions {
  readonly vocabSize: number
  readonly stopIds: readonly number[]
  /** Text of the generated ids so far, for the dead-end message. */
  readonly describe?: (ids: readonly number[]) => string
  readonly now?: () => number
}

/** The per-generation state: which generated tokens the matcher has seen, the failure if any, and the time spent. */
export class GrammarGuide {
  failure: InferenceError | null = null
  /** Time spent in the grammar (accept + mask + apply), ms, and the number of steps: the bench's per-token cost. */
  grammarMs = 0
  steps = 0
  private start = -1
  private readonly generated: number[] = []
  private prefetched: { readonly at: number; readonly mask: Int32Array } | null = null
  private readonly mask: Int32Array
  private readonly now: () => number

  constructor(
    private readonly matcher: TokenMatcher,
    private readonly opts: GuideOptions,
  ) {
    this.mask = new Int32Array(Math.ceil(opts.vocabSize / 32))
    this.now = opts.now ?? (() => performance.now())
  }

  /**
   * Called before each forward pass with the ids generated so far: accepts the
   * newest one and fetches the next mask asynchronously, so `step` finds it ready.
   */
  async prefetch(generated: readonly number[]): Promise<void> {
    if (this.failure || !this.matcher.nextBitmaskAsync) return
    const t0 = this.now()
    try {
      if (!this.accept(generated, 0) || this.matcher.isTerminated()) return
      const at = this.generated.length
      const mask = await this.matcher.nextBitmaskAsync()
      if (this.generated.length === at) this.prefetched = { at, mask }
    } finally {
      this.grammarMs += this.now() - t0
    }
  }

  /** One decoding step: `ids` is the prompt plus everything generated so far, `logits` the next token's row (edited in place). */
  step(ids: readonly bigint[], logits: Float32Array): void {
    const t0 = this.now()
    try {
      if (this.failure) return this.forceStop(logits)
      if (this.start < 0) this.start = ids.length - this.generated.length
      if (!this.accept(ids, this.start)) return this.forceStop(logits)
      if (this.matcher.isTerminated()) return this.forceStop(logits)
      let mask = this.mask
      if (this.prefetched?.at === this.generated.length) mask = this.prefetched.mask
      else this.matcher.nextBitmask(mask)
      this.prefetched = null
      if (!applyBitmask(logits, mask, this.opts.vocabSize)) this.deadEnd(logits, 'no token the model may produce next is allowed by the schema')
    } finally {
      this.grammarMs += this.now() - t0
      this.steps++
    }
  }

  /** Feeds the matcher `ids[from + n..]` where n tokens were accepted already; false (and a recorded dead end) on rejection. */
  private accept(ids: readonly (number | bigint)[], from: number): boolean {
    for (let i = from + this.generated.length; i < ids.length; i++) {
      const id = Number(ids[i])
      if (!this.matcher.acceptToken(id)) {
        this.deadEnd(null, `the grammar rejected token ${id}`)
        return false
      }
      this.generated.push(id)
    }
    return true
  }

  private deadEnd(logits: Float32Array | null, why: string): void {
    const so = this.opts.describe ? ` after ${JSON.stringify(this.opts.describe(this.generated).slice(-80))}` : ''
    this.failure = new InferenceError(
      'GRAMMAR_DEAD_END',
      `Constrained JSON decoding reached a dead end${so} (${this.generated.length} tokens): ${why}. ` +
        'Something else bans the tokens the schema needs, or this model cannot write what the schema demands. Loosen the schema (enum, pattern, lengths) or ask without it.',
    )
    if (logits) this.forceStop(logits)
  }

  /** Ends generation through the normal EOS path, so generate() returns and frees its tensors. */
  private forceStop(logits: Float32Array): void {
    const stop = this.opts.stopIds.find((id) => id < logits.length)
    if (stop === undefined) throw this.failure ?? new InferenceError('INTERNAL', 'Constrained decoding needs a stop token and this model has none.')
    logits.fill(-Infinity)
    logits[stop] = 0
  }
}

/** The guide as a transformers.js LogitsProcessor (a subclass of the library's own, which is only loaded at run time). */
export function grammarLogitsProcessor(lib: Pick<Transformers, 'LogitsProcessor'>, guide: GrammarGuide): InstanceType<Transformers['LogitsProcessor']> {
  class GrammarLogitsProcessor extends lib.LogitsProcessor {
    override _call(input_ids: bigint[][], logits: Tensor): Tensor {
      if (input_ids.length !== 1) throw new InferenceError('BAD_REQUEST', 'Constrained decoding runs one sequence at a time (batch size 1).')
      const row = (logits as unknown as Tensor[])[0]!
      guide.step(input_ids[0]!, row.data as Float32Array)
      return logits
    }
  }
  return new GrammarLogitsProcessor()
}
