/**
 * Verify once, read many times: the signature check (the only costly and
 * asynchronous part) runs once per envelope text, and its outcome is cached
 * by content hash. The slot binding is re-checked on every read, because
 * the same valid envelope copied into another slot is a replay.
 * The cache is keyed by the text itself (whose hash is its address): the doc
 * already holds that string, and a Map lookup on it costs no SHA-256.
 *
 * `cached()` is synchronous so pure derivation can ask "was this verified?"
 * without awaiting; readers call `verify()` for anything not yet known.
 */
import { fromBase64Url } from './bytes'
import { checkEnvelopeForm, checkSlot, signingBytes, type Envelope, type EnvelopeCheck, type EnvelopeSlot } from './envelope'
import type { SignatureVerifier } from './keys'

type Intrinsic = { ok: true; envelope: Envelope; hash: string } | { ok: false; reason: Exclude<EnvelopeCheck, { ok: true }>['reason']; detail: string }

export interface EnvelopeVerifierStats {
  readonly cached: number
  readonly signatureChecks: number
}

export class EnvelopeVerifier {
  /** envelope text → outcome, oldest first. */
  private readonly outcomes = new Map<string, Intrinsic>()
  private readonly inflight = new Map<string, Promise<Intrinsic>>()
  private signatureChecks = 0
  private cachedChars = 0

  /** `maxCachedChars` bounds the cache's memory (oldest outcomes go first); 32 Mi characters by default. */
  constructor(
    private readonly signatures: SignatureVerifier,
    private readonly maxCachedChars = 32 * 1024 * 1024,
  ) {}

  /** Full check of an envelope read from `slot`. Never throws. */
  async verify(raw: unknown, slot: EnvelopeSlot): Promise<EnvelopeCheck> {
    const intrinsic = await this.intrinsic(raw)
    return intrinsic.ok ? checkSlot(intrinsic.envelope, intrinsic.hash, slot) : intrinsic
  }

  /** The cached outcome for `raw` in `slot`, or undefined when `raw` has not been verified yet. */
  cached(raw: unknown, slot: EnvelopeSlot): EnvelopeCheck | undefined {
    if (typeof raw !== 'string') return checkEnvelopeForm(raw)
    const hit = this.outcomes.get(raw)
    if (!hit) return undefined
    return hit.ok ? checkSlot(hit.envelope, hit.hash, slot) : hit
  }

  stats(): EnvelopeVerifierStats {
    return { cached: this.outcomes.size, signatureChecks: this.signatureChecks }
  }

  private intrinsic(raw: unknown): Promise<Intrinsic> {
    if (typeof raw !== 'string') return Promise.resolve(checkEnvelopeForm(raw) as Intrinsic)
    const hit = this.outcomes.get(raw)
    if (hit) return Promise.resolve(hit)
    const running = this.inflight.get(raw)
    if (running) return running
    const p = this.check(raw).then((outcome) => {
      this.inflight.delete(raw)
      this.remember(raw, outcome)
      return outcome
    })
    this.inflight.set(raw, p)
    return p
  }

  private remember(raw: string, outcome: Intrinsic): void {
    this.outcomes.set(raw, outcome)
    this.cachedChars += raw.length
    for (const oldest of this.outcomes.keys()) {
      if (this.cachedChars <= this.maxCachedChars || oldest === raw) break
      this.outcomes.delete(oldest)
      this.cachedChars -= oldest.length
    }
  }

  private async check(raw: string): Promise<Intrinsic> {
    const form = checkEnvelopeForm(raw)
    if (!form.ok) return form
    const { envelope } = form
    this.signatureChecks++
    const signature = fromBase64Url(envelope.sig)
    const valid = signature !== null && (await this.signatures.verify(envelope.key, signingBytes(envelope), signature).catch(() => false))
    return valid ? form : { ok: false, reason: 'bad-signature', detail: 'signature does not verify for this key' }
  }
}
