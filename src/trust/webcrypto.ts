/**
 * WebCrypto signing: Ed25519 where the browser has it (Chrome 137+, Firefox
 * 129+, Safari 17+, Node 20), ECDSA P-256 otherwise. Detection tries
 * generateKey, because a missing algorithm only shows up as a rejection.
 *
 * ECDSA signatures are malleable: (r, s) and (r, n − s) both verify. We sign
 * with low s and the verifier rejects high s, so one signed body has one
 * valid signature per nonce and a flipped s cannot mint a "new" envelope.
 */
import { createLogger } from '../log'
import { toBase64Url } from './bytes'
import { parseKeyId, SIGNATURE_BYTES, type KeyAlgorithm, type KeyId, type KeyVault, type SignatureVerifier, type Signer } from './keys'

const log = createLogger('trust')
const ED25519 = { name: 'Ed25519' } as const
const ECDSA_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const
const ECDSA_SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
const P256_HALF_N = P256_N >> 1n

const toBig = (b: Uint8Array): bigint => b.reduce((n, x) => (n << 8n) | BigInt(x), 0n)
function fromBig(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = length - 1; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn)
  return out
}

/** Rewrites an ECDSA P1363 signature (r‖s) to its low-s twin. */
export function lowS(signature: Uint8Array): Uint8Array {
  const s = toBig(signature.subarray(32))
  if (s <= P256_HALF_N || s >= P256_N) return signature // s ≥ n is no valid signature: leave it to fail
  const out = new Uint8Array(64)
  out.set(signature.subarray(0, 32))
  out.set(fromBig(P256_N - s, 32), 32)
  return out
}

const buf = (b: Uint8Array): ArrayBuffer => b.slice().buffer as ArrayBuffer

function algorithmOf(pair: CryptoKeyPair): KeyAlgorithm | null {
  const name = pair.publicKey.algorithm.name
  if (name === 'Ed25519') return 'ed25519'
  if (name === 'ECDSA' && (pair.publicKey.algorithm as EcKeyAlgorithm).namedCurve === 'P-256') return 'p256'
  return null
}

async function signerFromPair(subtle: SubtleCrypto, pair: CryptoKeyPair): Promise<Signer | null> {
  const algorithm = algorithmOf(pair)
  if (!algorithm || pair.privateKey.type !== 'private' || !pair.privateKey.usages.includes('sign')) return null
  const raw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey))
  const keyId = `${algorithm}:${toBase64Url(raw)}` as KeyId
  if (!parseKeyId(keyId)) return null
  return {
    keyId,
    async sign(bytes) {
      if (algorithm === 'ed25519') return new Uint8Array(await subtle.sign(ED25519, pair.privateKey, buf(bytes)))
      return lowS(new Uint8Array(await subtle.sign(ECDSA_SIGN, pair.privateKey, buf(bytes))))
    },
  }
}

const isKeyPair = (v: unknown): v is CryptoKeyPair =>
  typeof v === 'object' && v !== null && typeof CryptoKey !== 'undefined' && (v as CryptoKeyPair).privateKey instanceof CryptoKey && (v as CryptoKeyPair).publicKey instanceof CryptoKey

/** The KeyVault the app uses: non-extractable private keys, Ed25519 first. */
export function webCryptoVault(subtle: SubtleCrypto = globalThis.crypto.subtle, prefer: readonly KeyAlgorithm[] = ['ed25519', 'p256']): KeyVault {
  return {
    async mint() {
      for (const algorithm of prefer) {
        try {
          const params = algorithm === 'ed25519' ? ED25519 : ECDSA_KEY
          const pair = (await subtle.generateKey(params, false, ['sign', 'verify'])) as CryptoKeyPair
          const signer = await signerFromPair(subtle, pair)
          if (signer) return { signer, material: pair }
        } catch (err) {
          log.info(`${algorithm} signing is not available here (${String(err)}); trying the next algorithm`)
        }
      }
      throw new Error('WebCrypto offers neither Ed25519 nor ECDSA P-256: this browser cannot sign records')
    },
    async open(material) {
      if (!isKeyPair(material)) return null
      try {
        return await signerFromPair(subtle, material)
      } catch {
        return null
      }
    },
  }
}

/**
 * The one signature verifier every tab uses (never mix implementations: they
 * can disagree on edge-case signatures). Imported public keys are cached by
 * key id. `fake:` keys are always rejected here.
 */
export function webCryptoVerifier(subtle: SubtleCrypto = globalThis.crypto.subtle, maxCachedKeys = 4096): SignatureVerifier {
  const imported = new Map<KeyId, Promise<CryptoKey | null>>()
  const importKey = (keyId: KeyId): Promise<CryptoKey | null> => {
    const hit = imported.get(keyId)
    if (hit) return hit
    const parsed = parseKeyId(keyId)
    const p: Promise<CryptoKey | null> =
      !parsed || parsed.algorithm === 'fake'
        ? Promise.resolve(null)
        : subtle.importKey('raw', buf(parsed.publicKey), parsed.algorithm === 'ed25519' ? ED25519 : ECDSA_KEY, true, ['verify']).then(
            (k) => k,
            () => null, // not a point on the curve, or the algorithm is missing here
          )
    if (imported.size >= maxCachedKeys) imported.delete(imported.keys().next().value as KeyId)
    imported.set(keyId, p)
    return p
  }
  return {
    async verify(keyId, bytes, signature) {
      const parsed = parseKeyId(keyId)
      if (!parsed || parsed.algorithm === 'fake' || signature.length !== SIGNATURE_BYTES[parsed.algorithm]) return false
      if (parsed.algorithm === 'p256' && toBig(signature.subarray(32)) > P256_HALF_N) return false
      const key = await importKey(keyId)
      if (!key) return false
      try {
        return await subtle.verify(parsed.algorithm === 'ed25519' ? ED25519 : ECDSA_SIGN, key, buf(signature), buf(bytes))
      } catch {
        return false
      }
    },
  }
}
