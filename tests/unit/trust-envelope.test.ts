import { describe, expect, it } from 'vitest'
import { fromBase64Url, toBase32, toBase64Url } from '../../src/trust/bytes'
import { canonicalJson, NonCanonicalValueError, parseCanonical } from '../../src/trust/canonical'
import { checkEnvelopeForm, envelopeHash, isEnvelopeHash, RECORD_DOMAIN, signEnvelope, signingBytes, type RecordFields } from '../../src/trust/envelope'
import { EnvelopeVerifier } from '../../src/trust/envelope-verifier'
import { fakeSigner, fakeVault, fakeVerifier } from './fake-crypto'
import { isKeyId, nodeIdFromKeyId, parseKeyId } from '../../src/trust/keys'
import { lowS, webCryptoVault, webCryptoVerifier } from '../../src/trust/webcrypto'
import { isNodeId } from '../../src/mesh/protocol'
import { seededRandom } from '../../src/clock'
import { InvalidRecordError } from '../../src/errors'

const FIELDS: RecordFields = { room: 'lobby', task: 'task-1', attempt: 1, kind: 'result', ts: 5, payload: { text: 'hi' } }

describe('bytes', () => {
  it('round-trips base64url for every length and rejects second spellings', () => {
    const r = seededRandom(7)
    for (let len = 0; len < 70; len++) {
      const b = Uint8Array.from({ length: len }, () => Math.floor(r.next() * 256))
      expect(fromBase64Url(toBase64Url(b))).toEqual(b)
    }
    expect(fromBase64Url('AB')).toBeNull() // low bits set in the last character
    expect(fromBase64Url('AA=')).toBeNull()
    expect(fromBase64Url('A+')).toBeNull()
    expect(fromBase64Url('A')).toBeNull()
  })
  it('writes base32 in the node id alphabet', () => {
    expect(toBase32(new Uint8Array([0xff, 0, 1]))).toBe('74aac')
    expect(toBase32(new Uint8Array(16))).toHaveLength(26)
  })
})

describe('canonical JSON', () => {
  it('sorts keys, drops whitespace and rejects what has two spellings', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'] })).toBe('{"a":[true,null,"x"],"b":1}')
    for (const bad of [1.5, -0, Number.NaN, 2 ** 53, undefined, () => 1, new Date(0), 10n]) expect(() => canonicalJson({ x: bad })).toThrow(NonCanonicalValueError)
    expect(() => canonicalJson(JSON.parse('['.repeat(40) + ']'.repeat(40)))).toThrow(NonCanonicalValueError)
  })
  it('accepts a text only in its canonical spelling', () => {
    expect(parseCanonical('{"a":1,"b":2}').ok).toBe(true)
    for (const t of ['{"b":2,"a":1}', '{"a":1, "b":2}', '{"a":1.0,"b":2}', '{"a":1,"a":1,"b":2}', '{"a":"\\u0062","b":2}']) expect(parseCanonical(t)).toEqual({ ok: false, reason: 'non-canonical' })
    expect(parseCanonical('{')).toEqual({ ok: false, reason: 'not-json' })
  })
})

describe('keys and node ids', () => {
  it('derives a node id from the key that the presence guard accepts', async () => {
    const { signer } = await webCryptoVault().mint()
    expect(signer.keyId.startsWith('ed25519:')).toBe(true)
    const id = nodeIdFromKeyId(signer.keyId)
    expect(isNodeId(id)).toBe(true)
    expect(id).toMatch(/^[a-z2-7]{26}$/)
    expect(nodeIdFromKeyId(fakeSigner(1).keyId)).not.toBe(nodeIdFromKeyId(fakeSigner(2).keyId))
  })
  it('rejects malformed key ids', () => {
    expect(isKeyId(fakeSigner(1).keyId)).toBe(true)
    for (const bad of ['ed25519:', 'rsa:AAAA', 'ed25519:' + toBase64Url(new Uint8Array(31)), 'p256:' + toBase64Url(new Uint8Array(65)), 42, null]) expect(isKeyId(bad)).toBe(false)
    expect(parseKeyId('p256:' + toBase64Url(Uint8Array.of(4, ...new Uint8Array(64))))?.algorithm).toBe('p256')
  })
  it('signs and verifies with Ed25519 and P-256; fake keys never pass the real verifier', async () => {
    const verifier = webCryptoVerifier()
    const msg = new TextEncoder().encode('hello')
    for (const alg of ['ed25519', 'p256'] as const) {
      const { signer, material } = await webCryptoVault(crypto.subtle, [alg]).mint()
      expect(signer.keyId.startsWith(`${alg}:`)).toBe(true)
      expect((material as CryptoKeyPair).privateKey.extractable).toBe(false)
      const sig = await signer.sign(msg)
      expect(await verifier.verify(signer.keyId, msg, sig)).toBe(true)
      expect(await verifier.verify(signer.keyId, new TextEncoder().encode('hellO'), sig)).toBe(false)
      expect(await verifier.verify(signer.keyId, msg, sig.subarray(1))).toBe(false)
      const reopened = await webCryptoVault().open(material)
      expect(reopened?.keyId).toBe(signer.keyId)
    }
    const fake = fakeSigner('x')
    const fakeSig = await fake.sign(msg)
    expect(await fakeVerifier.verify(fake.keyId, msg, fakeSig)).toBe(true)
    expect(await verifier.verify(fake.keyId, msg, fakeSig)).toBe(false)
    expect(await webCryptoVault().open({ fakeSeed: 'x' })).toBeNull()
    expect(await fakeVault().open(undefined)).toBeNull()
  })
  it('normalises ECDSA signatures to low s', () => {
    // s = n − 1 (high) becomes 1 (low); r is untouched.
    const nMinus1 = fromBase64Url(toBase64Url(Uint8Array.from(Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550', 'hex'))))!
    const high = new Uint8Array(64).fill(7)
    high.set(nMinus1, 32)
    const low = lowS(high)
    expect(low.subarray(0, 32)).toEqual(high.subarray(0, 32))
    expect(low.subarray(32)).toEqual(Uint8Array.of(...new Uint8Array(31), 1))
    expect(lowS(low)).toBe(low)
  })
})

describe('envelopes', () => {
  it('signs a canonical envelope under its content address, bound by a domain prefix', async () => {
    const signed = await signEnvelope(fakeSigner(1), FIELDS)
    expect(signed.hash).toBe(envelopeHash(signed.text))
    expect(isEnvelopeHash(signed.hash)).toBe(true)
    expect(canonicalJson(JSON.parse(signed.text))).toBe(signed.text)
    expect(new TextDecoder().decode(signingBytes(signed.envelope)).startsWith(RECORD_DOMAIN)).toBe(true)
    expect(signed.envelope.node).toBe(nodeIdFromKeyId(signed.envelope.key))
    expect(checkEnvelopeForm(signed.text).ok).toBe(true)
  })
  it('refuses to sign what canonical JSON cannot carry, or what readers would drop', async () => {
    await expect(signEnvelope(fakeSigner(1), { ...FIELDS, payload: { score: 0.5 } })).rejects.toThrow(NonCanonicalValueError)
    await expect(signEnvelope(fakeSigner(1), { ...FIELDS, task: 'Bad Task!' })).rejects.toThrow(InvalidRecordError)
    await expect(signEnvelope(fakeSigner(1), { ...FIELDS, kind: 'task', attempt: 2 })).rejects.toThrow(/attempt 0/)
  })
  it('verifies once and answers later reads from the cache', async () => {
    const verifier = new EnvelopeVerifier(fakeVerifier)
    const signed = await signEnvelope(fakeSigner(1), FIELDS)
    const slot = { room: 'lobby', task: 'task-1', attempt: 1, kinds: ['result' as const], address: signed.hash }
    expect(verifier.cached(signed.text, slot)).toBeUndefined()
    const [a, b] = await Promise.all([verifier.verify(signed.text, slot), verifier.verify(signed.text, slot)])
    expect(a.ok && b.ok).toBe(true)
    expect(verifier.cached(signed.text, slot)?.ok).toBe(true)
    expect(verifier.cached(signed.text, { ...slot, room: 'other' })).toMatchObject({ ok: false, reason: 'wrong-room' })
    expect(verifier.stats().signatureChecks).toBe(1)
  })
  it('reports why an envelope is invalid', async () => {
    const verifier = new EnvelopeVerifier(fakeVerifier)
    const signed = await signEnvelope(fakeSigner(1), FIELDS)
    const forged = signed.text.replace('"text":"hi"', '"text":"ho"')
    expect(await verifier.verify(forged, { room: 'lobby' })).toMatchObject({ ok: false, reason: 'bad-signature' })
    expect(await verifier.verify('x'.repeat(200_000), { room: 'lobby' })).toMatchObject({ ok: false, reason: 'too-large' })
    const stats = verifier.stats()
    expect(stats.signatureChecks).toBe(1) // the oversized text never reached a signature check
  })
  it('bounds the cache by characters', async () => {
    const verifier = new EnvelopeVerifier(fakeVerifier, 1_000)
    const texts = await Promise.all([1, 2, 3, 4, 5, 6].map(async (i) => (await signEnvelope(fakeSigner(i), FIELDS)).text))
    for (const t of texts) await verifier.verify(t, { room: 'lobby' })
    expect(verifier.cached(texts[0], { room: 'lobby' })).toBeUndefined()
    expect(verifier.cached(texts[5], { room: 'lobby' })?.ok).toBe(true)
    expect(verifier.stats().cached).toBeLessThan(6)
  })
})

