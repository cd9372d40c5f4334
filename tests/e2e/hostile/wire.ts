/**
 * The signed-record wire format as another client reads it off the README
 * ("Contract for other clients", "Trust foundations"), written from that
 * description and NOT imported from src/: canonical JSON (sorted keys, no
 * whitespace, safe integers only), the content address (lowercase RFC 4648
 * base32 of SHA-256 over the text, unpadded: 52 characters), base64url
 * signatures, key ids `ed25519:<base64url raw key>`, node id =
 * base32(SHA-256(keyId))[0..26], signed bytes `mindos/record/v1\0` +
 * canonical body (the envelope without `sig`).
 *
 * The hostile client (client.ts) uses these to make its forgeries as good as
 * an attacker's can be: well-formed, canonical and stored under their own
 * hash, so the only thing an honest tab can catch them on is the signature,
 * the slot or the authorization.
 */
export const RECORD_DOMAIN = 'mindos/record/v1\0'

/** An envelope as parsed JSON; fields are whatever the text held. */
export type Envelope = Record<string, unknown> & { payload?: unknown }

export function canonical(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`
  }
  throw new Error(`cannot encode a ${typeof value}`)
}

export function parseEnvelope(text: unknown): Envelope | null {
  if (typeof text !== 'string') return null
  try {
    const v: unknown = JSON.parse(text)
    return typeof v === 'object' && v !== null && !Array.isArray(v) && 'sig' in v && 'payload' in v ? (v as Envelope) : null
  } catch {
    return null
  }
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567'
export function base32(bytes: Uint8Array): string {
  let out = ''
  let acc = 0
  let bits = 0
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xffff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += B32[(acc >> bits) & 31]
    }
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31]
  return out
}

export function base64url(bytes: Uint8Array): string {
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

const utf8 = (s: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(s)

export async function sha256(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(s)))
}

/** The doc key an envelope text belongs under. */
export async function addressOf(text: string): Promise<string> {
  return base32(await sha256(text))
}

/** A 52-character base32 key that is nobody's hash. */
export function randomAddress(): string {
  return base32(crypto.getRandomValues(new Uint8Array(32)))
}

/** A signature of the right length (Ed25519: 64 bytes) made of random bytes. */
export function garbageSignature(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(64)))
}

/** The hostile page's own, real Ed25519 identity: it can sign, but only as itself. */
export interface OwnKey {
  readonly keyId: string
  readonly node: string
  sign(body: Envelope): Promise<string>
}

export async function mintOwnKey(): Promise<OwnKey> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
  const keyId = `ed25519:${base64url(raw)}`
  const node = base32((await sha256(keyId)).subarray(0, 16))
  return {
    keyId,
    node,
    async sign(body) {
      const { sig: _drop, ...unsigned } = body
      const signature = await crypto.subtle.sign({ name: 'Ed25519' }, pair.privateKey, utf8(RECORD_DOMAIN + canonical(unsigned)))
      return canonical({ ...unsigned, sig: base64url(new Uint8Array(signature)) })
    },
  }
}

/** Every string inside `value` under a key in `fields` replaced by `marker` (a copy); `changed` counts the replacements. */
export function replaceTexts(value: unknown, fields: ReadonlySet<string>, marker: string, counter: { changed: number }): unknown {
  if (Array.isArray(value)) return value.map((v) => replaceTexts(v, fields, marker, counter))
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    if (fields.has(k) && typeof v === 'string') {
      out[k] = marker
      counter.changed++
    } else out[k] = replaceTexts(v, fields, marker, counter)
  }
  return out
}

/** Every string equal to `from` inside `value` replaced by `to` (a copy): moves ids such as `node`, `createdBy`, `by`, origins. */
export function replaceString(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.split(from).join(to)
  if (Array.isArray(value)) return value.map((v) => replaceString(v, from, to))
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceString(v, from, to)]))
}
