/**
 * FAKE signing for tests and simulations: deterministic and fast, and NOT
 * secure: the "signature" is SHA-256(public key ‖ bytes), which anyone can
 * compute. Keys are labelled `fake:` and the real verifier rejects them, so
 * a fake can never pass in the app.
 */
import { bytesEqual, concatBytes, sha256, toBase64Url, utf8Bytes } from '../../src/trust/bytes'
import { parseKeyId, type KeyId, type KeyVault, type SignatureVerifier, type Signer } from '../../src/trust/keys'

const fakeSignature = (publicKey: Uint8Array, bytes: Uint8Array): Uint8Array => sha256(concatBytes(utf8Bytes('FAKE-SIGNATURE\0'), publicKey, bytes))

/** A FAKE signer whose key is derived from `seed`: the same seed gives the same key in every run. */
export function fakeSigner(seed: string | number): Signer {
  const publicKey = sha256(utf8Bytes(`FAKE-KEY\0${seed}`))
  return {
    keyId: `fake:${toBase64Url(publicKey)}` as KeyId,
    sign: async (bytes) => fakeSignature(publicKey, bytes),
  }
}

/** Verifies FAKE signatures only. */
export const fakeVerifier: SignatureVerifier = {
  async verify(keyId, bytes, signature) {
    const parsed = parseKeyId(keyId)
    if (!parsed || parsed.algorithm !== 'fake') return false
    return bytesEqual(signature, fakeSignature(parsed.publicKey, bytes))
  },
}

/** A FAKE KeyVault: minted keys come from a counter; the stored material is `{ fakeSeed }`. */
export function fakeVault(prefix = 'vault'): KeyVault & { minted: number } {
  const vault = {
    minted: 0,
    async mint() {
      const fakeSeed = `${prefix}-${vault.minted++}`
      return { signer: fakeSigner(fakeSeed), material: { fakeSeed } }
    },
    async open(material: unknown) {
      const seed = (material as { fakeSeed?: unknown } | null)?.fakeSeed
      return typeof seed === 'string' ? fakeSigner(seed) : null
    },
  }
  return vault
}
