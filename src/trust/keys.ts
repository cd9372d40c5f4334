/**
 * Keys as the rest of the app sees them. A key id names the algorithm and
 * carries the raw public key, versioned by its prefix (Matrix-style
 * `ed25519:`), so a verifier never guesses the algorithm:
 *   ed25519:<base64url of the 32-byte raw key>
 *   p256:<base64url of the 65-byte uncompressed SEC1 point>
 *   fake:<base64url of 32 bytes>   (tests only; real verifiers reject it)
 * A node id is derived from the key id, so a record that names a node id and
 * a key can be checked without any directory: id = base32(SHA-256(keyId)[0..16]).
 */
import type { NodeId } from '../mesh/protocol'
import { fromBase64Url, sha256, toBase32, utf8Bytes } from './bytes'

export type KeyAlgorithm = 'ed25519' | 'p256' | 'fake'
export type KeyId = string & { readonly __keyId: true }

const RAW_KEY_BYTES: Record<KeyAlgorithm, number> = { ed25519: 32, p256: 65, fake: 32 }
export const SIGNATURE_BYTES: Record<KeyAlgorithm, number> = { ed25519: 64, p256: 64, fake: 32 }
const MAX_KEY_ID = 100

export interface ParsedKeyId {
  readonly algorithm: KeyAlgorithm
  readonly publicKey: Uint8Array
}

export function parseKeyId(v: unknown): ParsedKeyId | null {
  if (typeof v !== 'string' || v.length > MAX_KEY_ID) return null
  const colon = v.indexOf(':')
  const algorithm = v.slice(0, colon)
  if (!Object.hasOwn(RAW_KEY_BYTES, algorithm)) return null
  const publicKey = fromBase64Url(v.slice(colon + 1))
  const alg = algorithm as KeyAlgorithm
  if (!publicKey || publicKey.length !== RAW_KEY_BYTES[alg]) return null
  if (alg === 'p256' && publicKey[0] !== 0x04) return null // uncompressed points only: one spelling per key
  return { algorithm: alg, publicKey }
}

export function isKeyId(v: unknown): v is KeyId {
  return parseKeyId(v) !== null
}

/** 128 bits of SHA-256 over the key id, as 26 base32 characters (accepted by `isNodeId`). */
export function nodeIdFromKeyId(keyId: KeyId): NodeId {
  const hit = derived.get(keyId)
  if (hit) return hit
  const id = toBase32(sha256(utf8Bytes(keyId)).subarray(0, 16)) as NodeId
  if (derived.size >= 2048) derived.delete(derived.keys().next().value as KeyId)
  derived.set(keyId, id)
  return id
}
/** Presence parsing runs on every awareness change: remember recent derivations. */
const derived = new Map<KeyId, NodeId>()

/** A short fingerprint for people (UI, logs): the first characters of the node id. */
export function keyFingerprint(keyId: KeyId): string {
  return nodeIdFromKeyId(keyId).slice(0, 8)
}

/** Holds a private key; never exposes it. */
export interface Signer {
  readonly keyId: KeyId
  sign(bytes: Uint8Array): Promise<Uint8Array>
}

/** Checks a signature against the public key carried in a key id. Never throws: bad input is `false`. */
export interface SignatureVerifier {
  verify(keyId: KeyId, bytes: Uint8Array, signature: Uint8Array): Promise<boolean>
}

/**
 * Where identities get their keys. `material` is what the identity store
 * keeps: for WebCrypto a CryptoKeyPair (IndexedDB stores it by structured
 * clone; the private half is non-extractable, so script can use it but never
 * read it out).
 */
export interface KeyVault {
  mint(): Promise<{ signer: Signer; material: unknown }>
  /** Reopens stored material; null when it is missing or unusable (e.g. an identity from before keys). */
  open(material: unknown): Promise<Signer | null>
}
