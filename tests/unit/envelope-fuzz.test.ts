/**
 * Envelope fuzzing: ≥10,000 seeded hostile variants of valid envelopes
 * (mutated bytes, replays across rooms/tasks/attempts/slots, id/key
 * mismatches, non-canonical spellings, wrong kinds, truncated or twisted
 * signatures). None may be accepted; the untouched originals must be.
 * Reproduce a failure with FUZZ_SEED=<seed> (printed on failure).
 */
import { describe, expect, it } from 'vitest'
import { seededRandom, type Random } from '../../src/clock'
import { canonicalJson } from '../../src/trust/canonical'
import { fromBase64Url, toBase64Url } from '../../src/trust/bytes'
import { EnvelopeVerifier } from '../../src/trust/envelope-verifier'
import { RecordKind, signEnvelope, type EnvelopeSlot, type RecordFields, type SignedEnvelope } from '../../src/trust/envelope'
import { nodeIdFromKeyId, type Signer } from '../../src/trust/keys'
import { webCryptoVault, webCryptoVerifier } from '../../src/trust/webcrypto'

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_201)
const CASES = 12_000
const KINDS = Object.values(RecordKind)

const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r.next() * xs.length)] as T
const int = (r: Random, n: number): number => Math.floor(r.next() * n)

interface Sample {
  readonly signed: SignedEnvelope
  readonly slot: EnvelopeSlot
}

async function makeSamples(signers: Signer[], r: Random): Promise<Sample[]> {
  const samples: Sample[] = []
  for (let i = 0; i < 24; i++) {
    const kind = KINDS[i % KINDS.length]!
    const fields: RecordFields = {
      room: pick(r, ['lobby', 'amber-otter-x1y2z3', 'team.a_b']),
      task: `task-${int(r, 1000).toString(36)}-${i}`,
      attempt: kind === 'task' ? 0 : int(r, 4),
      kind,
      ts: 1_700_000_000_000 + int(r, 1e9),
      payload: { text: `answer ${i} ✓ "quoted" \n line`, n: int(r, 100), nested: { list: [1, 'two', null, true] } },
    }
    const signed = await signEnvelope(signers[i % signers.length]!, fields)
    samples.push({ signed, slot: { room: fields.room, task: fields.task, attempt: fields.attempt, kinds: [kind], address: signed.hash } })
  }
  return samples
}

type Mutator = (s: Sample, r: Random, all: Sample[]) => { raw: unknown; slot: EnvelopeSlot; what: string }

const edit = (s: Sample, change: (o: Record<string, unknown>) => void): string => {
  const o = JSON.parse(s.signed.text) as Record<string, unknown>
  change(o)
  return canonicalJson(o)
}

const MUTATORS: Record<string, Mutator> = {
  flipByte(s, r) {
    const bytes = new TextEncoder().encode(s.signed.text)
    const i = int(r, bytes.length)
    bytes[i] = bytes[i]! ^ (1 + int(r, 255))
    return { raw: new TextDecoder().decode(bytes), slot: s.slot, what: `flip byte ${i}` }
  },
  insertOrDelete(s, r) {
    const t = s.signed.text
    const i = int(r, t.length)
    const raw = r.next() < 0.5 ? t.slice(0, i) + t.slice(i + 1 + int(r, 4)) : t.slice(0, i) + pick(r, [' ', '0', 'a', '"', '\\', ',', '}']) + t.slice(i)
    return { raw, slot: s.slot, what: `insert/delete at ${i}` }
  },
  truncate(s, r) {
    return { raw: s.signed.text.slice(0, int(r, s.signed.text.length)), slot: s.slot, what: 'truncated text' }
  },
  replayRoom(s, r) {
    return { raw: s.signed.text, slot: { ...s.slot, room: pick(r, ['lobby2', 'other', `${s.slot.room}x`]) }, what: 'replay into another room' }
  },
  replayTask(s, r) {
    return { raw: s.signed.text, slot: { ...s.slot, task: `task-other-${int(r, 99)}` }, what: 'replay into another task' }
  },
  replayAttempt(s, r) {
    return { raw: s.signed.text, slot: { ...s.slot, attempt: (s.slot.attempt ?? 0) + 1 + int(r, 3) }, what: 'replay into another attempt' }
  },
  replaySlotKind(s, r) {
    const kinds = KINDS.filter((k) => k !== s.signed.envelope.kind)
    return { raw: s.signed.text, slot: { ...s.slot, kinds: [pick(r, kinds)] }, what: 'replay into a slot of another kind' }
  },
  movedAddress(s, r, all) {
    const other = pick(r, all.filter((o) => o !== s))
    return { raw: s.signed.text, slot: { ...s.slot, address: other.signed.hash }, what: 'stored under another hash' }
  },
  rebindField(s, r) {
    const field = pick(r, ['room', 'task', 'attempt', 'kind', 'ts', 'payload'])
    const raw = edit(s, (o) => {
      if (field === 'room') o.room = `${String(o.room)}2`
      else if (field === 'task') o.task = `${String(o.task)}-x`
      else if (field === 'attempt') o.attempt = (o.attempt as number) + 1
      else if (field === 'kind') o.kind = pick(r, KINDS.filter((k) => k !== o.kind && k !== 'task'))
      else if (field === 'ts') o.ts = (o.ts as number) + 1 + int(r, 1000)
      else o.payload = { ...(o.payload as object), text: 'forged answer' }
    })
    const slot = { ...s.slot, ...(field === 'room' ? { room: `${s.slot.room}2` } : {}), address: undefined }
    return { raw, slot: { room: slot.room }, what: `re-bound ${field} without re-signing` }
  },
  otherNodeId(s, r, all) {
    const other = pick(r, all.filter((o) => o.signed.envelope.key !== s.signed.envelope.key))
    return { raw: edit(s, (o) => void (o.node = other.signed.envelope.node)), slot: { room: s.slot.room }, what: 'claims another node id' }
  },
  otherKeySameNode(s, r, all) {
    const other = pick(r, all.filter((o) => o.signed.envelope.key !== s.signed.envelope.key))
    return { raw: edit(s, (o) => void (o.key = other.signed.envelope.key)), slot: { room: s.slot.room }, what: 'another key under the same node id' }
  },
  impersonate(s, r, all) {
    // Consistent key and node of another signer, the original signature: a forgery attempt.
    const other = pick(r, all.filter((o) => o.signed.envelope.key !== s.signed.envelope.key))
    const raw = edit(s, (o) => {
      o.key = other.signed.envelope.key
      o.node = nodeIdFromKeyId(other.signed.envelope.key)
    })
    return { raw, slot: { room: s.slot.room }, what: 'impersonates another signer' }
  },
  nonCanonical(s, r) {
    const t = s.signed.text
    const variants = [
      () => t.replace('{', '{ '),
      () => `${t}\n`,
      () => t.replace('"attempt":', '"attempt": '),
      () => t.replace(/"v":1/, '"v":1.0'),
      () => t.replace(/"v":1/, '"v":1e0'),
      () => t.replace('"room":"', '"room":"\\u00') .replace(/"room":"\\u00(.)/, (_m, c: string) => `"room":"\\u00${c.charCodeAt(0).toString(16).padStart(2, '0')}`),
      () => t.replace(/^\{"attempt":(\d+),/, (_m, a: string) => `{"attempt":${a},"attempt":${a},`),
      () => { const o = JSON.parse(t) as Record<string, unknown>; return JSON.stringify(Object.fromEntries(Object.entries(o).reverse())) },
      () => JSON.stringify(JSON.parse(t), null, 1),
      () => t.replace('"text":"answer', '"text":"\\u0061nswer'),
    ]
    return { raw: pick(r, variants)(), slot: s.slot, what: 'non-canonical spelling' }
  },
  wrongKind(s, r) {
    return { raw: edit(s, (o) => void (o.kind = pick(r, ['Result', 'results', 'vote', '', 'task ', 'admin']))), slot: { room: s.slot.room }, what: 'unknown kind' }
  },
  truncatedSig(s, r) {
    const sig = s.signed.envelope.sig
    const cut = pick(r, [sig.slice(0, int(r, sig.length)), sig.slice(1), `${sig}A`, `${sig}AA`, ''])
    return { raw: edit(s, (o) => void (o.sig = cut)), slot: s.slot, what: 'truncated or padded signature' }
  },
  twistedSig(s, r, all) {
    const bytes = fromBase64Url(s.signed.envelope.sig)!
    const choice = int(r, 3)
    let sig: string
    if (choice === 0) {
      const at = int(r, bytes.length)
      bytes[at] = bytes[at]! ^ (1 << int(r, 8))
      sig = toBase64Url(bytes)
    } else if (choice === 1) sig = pick(r, all.filter((o) => o !== s && o.signed.envelope.key === s.signed.envelope.key)).signed.envelope.sig
    else sig = toBase64Url(new Uint8Array(bytes.length))
    return { raw: edit(s, (o) => void (o.sig = sig)), slot: s.slot, what: 'signature of other bytes' }
  },
  shape(s, r) {
    const raw = pick(r, [
      () => edit(s, (o) => void (o.extra = 'unsigned field')),
      () => edit(s, (o) => void delete o.ts),
      () => edit(s, (o) => void (o.v = 2)),
      () => edit(s, (o) => void (o.payload = 'text')),
      () => edit(s, (o) => void (o.attempt = -1)),
      () => canonicalJson([JSON.parse(s.signed.text)]),
      () => 'null',
    ])()
    return { raw, slot: s.slot, what: 'bad shape' }
  },
  notText(s, r) {
    return { raw: pick(r, [null, 42, JSON.parse(s.signed.text), new Uint8Array(4), undefined]), slot: s.slot, what: 'not a string' }
  },
}

/** The high-s twin of a P-256 signature also verifies in WebCrypto: we must reject it. */
function highS(sigB64: string): string {
  const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
  const b = fromBase64Url(sigB64)!
  const s = b.subarray(32).reduce((acc, x) => (acc << 8n) | BigInt(x), 0n)
  let t = n - s
  for (let i = 63; i >= 32; i--, t >>= 8n) b[i] = Number(t & 0xffn)
  return toBase64Url(b)
}

describe('envelope fuzzing', () => {
  it(`rejects ${CASES} hostile variants and accepts every original (seed ${SEED})`, async () => {
    const r = seededRandom(SEED)
    const ed = webCryptoVault(crypto.subtle, ['ed25519'])
    const p256 = webCryptoVault(crypto.subtle, ['p256'])
    const signers = [(await ed.mint()).signer, (await ed.mint()).signer, (await p256.mint()).signer, (await p256.mint()).signer]
    const samples = await makeSamples(signers, r)
    const verifier = new EnvelopeVerifier(webCryptoVerifier())
    for (const s of samples) expect((await verifier.verify(s.signed.text, s.slot)).ok, `original must verify (seed ${SEED})`).toBe(true)

    const names = Object.keys(MUTATORS)
    const reasons = new Map<string, number>()
    const accepted: string[] = []
    for (let i = 0; i < CASES; i++) {
      const sample = pick(r, samples)
      const name = names[i % names.length]!
      const { raw, slot, what } = MUTATORS[name]!(sample, r, samples)
      if (raw === sample.signed.text && slot === sample.slot) continue // a mutation that changed nothing
      const out = await verifier.verify(raw, slot)
      if (out.ok) accepted.push(`case ${i} (${name}: ${what}): ${String(raw).slice(0, 160)}`)
      else reasons.set(out.reason, (reasons.get(out.reason) ?? 0) + 1)
    }
    // P-256 malleability: every high-s twin is refused.
    for (const s of samples.filter((x) => x.signed.envelope.key.startsWith('p256:'))) {
      const twin = edit(s, (o) => void (o.sig = highS(s.signed.envelope.sig)))
      const out = await verifier.verify(twin, { ...s.slot, address: undefined })
      if (out.ok) accepted.push(`high-s twin of ${s.signed.hash}`)
    }
    const total = [...reasons.values()].reduce((a, b) => a + b, 0)
    if (accepted.length > 0) throw new Error(`FUZZ_SEED=${SEED}: ${accepted.length} hostile envelopes accepted:\n${accepted.slice(0, 10).join('\n')}`)
    expect(total, `seed ${SEED}`).toBeGreaterThanOrEqual(10_000)
    // Every family of attack was seen and rejected for a reason of its own kind.
    for (const reason of ['non-canonical', 'key-mismatch', 'bad-signature', 'wrong-room', 'wrong-task', 'wrong-attempt', 'wrong-kind', 'wrong-address', 'bad-kind', 'bad-shape', 'not-text']) {
      expect(reasons.get(reason) ?? 0, `reason ${reason} (seed ${SEED})`).toBeGreaterThan(0)
    }
  })
})
