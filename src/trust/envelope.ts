/**
 * Signed record envelopes: the wire protocol every board record will travel
 * in. One file holds the format, its version, the single canonical encoder
 * use and the checks.
 *
 * Wire form: the canonical JSON text (see canonical.ts) of
 *   { v, room, task, attempt, kind, node, key, ts, payload, sig }
 * stored in the doc under its content address, `envelopeHash(text)`, so an
 * overwrite is always detectable (the key no longer matches the value).
 *
 * Signed bytes: RECORD_DOMAIN ‖ canonicalJson(envelope without `sig`). The
 * prefix keeps a record signature from being replayed as anything else; the
 * body binds room, task, attempt and kind, so a record cannot be replayed
 * into another room, task, attempt or slot. Every field is signed: there is
 * no unsigned field to trust ("signed or ignored").
 */
import { InvalidRecordError } from '../errors'
import type { NodeId } from '../mesh/protocol'
import { isNodeId } from '../mesh/protocol'
import { fromBase64Url, sha256, toBase32, toBase64Url, utf8Bytes } from './bytes'
import { canonicalJson, parseCanonical, type CanonicalValue } from './canonical'
import { nodeIdFromKeyId, parseKeyId, SIGNATURE_BYTES, type KeyId, type Signer } from './keys'

export const ENVELOPE_VERSION = 1
export const RECORD_DOMAIN = `mindos/record/v${ENVELOPE_VERSION}\0`
/** Matrix caps an event at 64 KiB; a result may carry 24,000 characters of model output, escaped. */
export const MAX_ENVELOPE_CHARS = 128 * 1024
export const MAX_ATTEMPT = 1_000_000
const ROOM_PATTERN = /^[A-Za-z0-9._/-]{1,128}$/
const TASK_PATTERN = /^[a-z0-9-]{4,96}$/

export const RecordKind = {
  task: 'task', // a task's statics, written once by its creator (attempt 0)
  claim: 'claim',
  lease: 'lease',
  result: 'result',
  verdict: 'verdict',
  requeue: 'requeue',
  partial: 'partial',
} as const
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind]

export interface EnvelopeBody {
  readonly v: typeof ENVELOPE_VERSION
  readonly room: string
  readonly task: string
  readonly attempt: number
  readonly kind: RecordKind
  /** Must equal nodeIdFromKeyId(key): a signer cannot speak for another node id. */
  readonly node: NodeId
  readonly key: KeyId
  /** Signer's clock (ms): a claim about time, not a fact. */
  readonly ts: number
  readonly payload: { readonly [key: string]: CanonicalValue }
}

export interface Envelope extends EnvelopeBody {
  /** base64url signature over signingBytes(body). */
  readonly sig: string
}

/** What a record is about; `sign` adds version, node, key and signature. */
export type RecordFields = Pick<EnvelopeBody, 'room' | 'task' | 'attempt' | 'kind' | 'ts' | 'payload'>

export interface SignedEnvelope {
  readonly envelope: Envelope
  /** The canonical wire text: store exactly this. */
  readonly text: string
  /** Content address: the doc key to store `text` under. */
  readonly hash: string
}

/** Why an envelope was rejected: data, so it can cross boundaries and be counted per reason. */
export const EnvelopeRejection = {
  notText: 'not-text',
  tooLarge: 'too-large',
  notJson: 'not-json',
  nonCanonical: 'non-canonical',
  badShape: 'bad-shape',
  badVersion: 'bad-version',
  badField: 'bad-field',
  badKind: 'bad-kind',
  badKey: 'bad-key',
  keyMismatch: 'key-mismatch',
  badSignature: 'bad-signature',
  wrongRoom: 'wrong-room',
  wrongTask: 'wrong-task',
  wrongAttempt: 'wrong-attempt',
  wrongKind: 'wrong-kind',
  wrongAddress: 'wrong-address',
} as const
export type EnvelopeRejection = (typeof EnvelopeRejection)[keyof typeof EnvelopeRejection]

export type EnvelopeCheck = { ok: true; envelope: Envelope; hash: string } | { ok: false; reason: EnvelopeRejection; detail: string }

const FIELDS = ['attempt', 'key', 'kind', 'node', 'payload', 'room', 'sig', 'task', 'ts', 'v'] as const

const fail = (reason: EnvelopeRejection, detail: string): EnvelopeCheck => ({ ok: false, reason, detail })
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The bytes a signature covers. */
export function signingBytes(body: EnvelopeBody): Uint8Array {
  const { v, room, task, attempt, kind, node, key, ts, payload } = body
  return utf8Bytes(RECORD_DOMAIN + canonicalJson({ v, room, task, attempt, kind, node, key, ts, payload }))
}

/** Content address of an envelope's wire text: base32 SHA-256, 52 characters. */
export function envelopeHash(text: string): string {
  return toBase32(sha256(utf8Bytes(text)))
}

export function isEnvelopeHash(v: unknown): v is string {
  return typeof v === 'string' && /^[a-z2-7]{52}$/.test(v)
}

/**
 * Signs a record. Throws NonCanonicalValueError when the payload holds
 * something canonical JSON cannot carry, and InvalidRecordError when the
 * result would not pass `checkEnvelopeForm` (so we never publish a record
 * every reader drops).
 */
export async function signEnvelope(signer: Signer, fields: RecordFields): Promise<SignedEnvelope> {
  const body: EnvelopeBody = { v: ENVELOPE_VERSION, ...fields, node: nodeIdFromKeyId(signer.keyId), key: signer.keyId }
  const sig = toBase64Url(await signer.sign(signingBytes(body)))
  const envelope: Envelope = { ...body, sig }
  const text = canonicalJson(envelope)
  const form = checkEnvelopeForm(text)
  if (!form.ok) throw new InvalidRecordError(`not signing an invalid ${String(fields.kind).slice(0, 20)} record: ${form.detail}`)
  return { envelope, text, hash: form.hash }
}

/**
 * Everything about an envelope that does not depend on where it was read or
 * on the signature: size, canonical form, shape, fields, node id = hash of
 * key. Pure and synchronous; the signature is checked by EnvelopeVerifier.
 */
export function checkEnvelopeForm(raw: unknown): EnvelopeCheck {
  if (typeof raw !== 'string') return fail('not-text', `an envelope is a string, got ${raw === null ? 'null' : typeof raw}`)
  if (raw.length > MAX_ENVELOPE_CHARS) return fail('too-large', `${raw.length} characters (max ${MAX_ENVELOPE_CHARS})`)
  const parsed = parseCanonical(raw)
  if (!parsed.ok) return fail(parsed.reason, parsed.reason === 'not-json' ? 'not JSON' : 'not in canonical form')
  const e = parsed.value
  if (!isRecord(e)) return fail('bad-shape', 'not an object')
  const keys = Object.keys(e) // sorted: the text is canonical
  if (keys.length !== FIELDS.length || keys.some((k, i) => k !== FIELDS[i])) return fail('bad-shape', `fields must be exactly ${FIELDS.join(', ')}`)
  if (e.v !== ENVELOPE_VERSION) return fail('bad-version', `unsupported envelope version ${String(e.v).slice(0, 20)}`)
  if (typeof e.room !== 'string' || !ROOM_PATTERN.test(e.room)) return fail('bad-field', 'bad room')
  if (typeof e.task !== 'string' || !TASK_PATTERN.test(e.task)) return fail('bad-field', 'bad task id')
  if (typeof e.attempt !== 'number' || e.attempt < 0 || e.attempt > MAX_ATTEMPT) return fail('bad-field', 'bad attempt')
  if (typeof e.kind !== 'string' || !Object.hasOwn(RecordKind, e.kind)) return fail('bad-kind', `unknown kind ${String(e.kind).slice(0, 40)}`)
  if (e.kind === RecordKind.task && e.attempt !== 0) return fail('bad-field', 'task statics belong to attempt 0')
  if (typeof e.ts !== 'number' || e.ts < 0) return fail('bad-field', 'bad timestamp')
  if (!isRecord(e.payload)) return fail('bad-field', 'payload must be an object')
  const key = parseKeyId(e.key)
  if (!key) return fail('bad-key', 'unknown or malformed key id')
  if (!isNodeId(e.node) || e.node !== nodeIdFromKeyId(e.key as KeyId)) return fail('key-mismatch', 'node id is not derived from the signing key')
  const sig = typeof e.sig === 'string' ? fromBase64Url(e.sig) : null
  if (!sig || sig.length !== SIGNATURE_BYTES[key.algorithm]) return fail('bad-signature', 'signature is malformed or has the wrong length')
  return { ok: true, envelope: e as unknown as Envelope, hash: envelopeHash(raw) }
}

/** Where an envelope was read from; the reader fills in what the slot fixes. */
export interface EnvelopeSlot {
  readonly room: string
  readonly task?: string
  readonly attempt?: number
  readonly kinds?: readonly RecordKind[]
  /** The doc key the text was stored under: must be its content address. */
  readonly address?: string
}

/** Checks a well-formed envelope against the slot it was read from. Pure; cheap; run on every read. */
export function checkSlot(envelope: Envelope, hash: string, slot: EnvelopeSlot): EnvelopeCheck {
  if (envelope.room !== slot.room) return fail('wrong-room', `signed for room ${envelope.room.slice(0, 64)}`)
  if (slot.task !== undefined && envelope.task !== slot.task) return fail('wrong-task', `signed for task ${envelope.task}`)
  if (slot.attempt !== undefined && envelope.attempt !== slot.attempt) return fail('wrong-attempt', `signed for attempt ${envelope.attempt}`)
  if (slot.kinds !== undefined && !slot.kinds.includes(envelope.kind)) return fail('wrong-kind', `a ${envelope.kind} record in a ${slot.kinds.join('/')} slot`)
  if (slot.address !== undefined && slot.address !== hash) return fail('wrong-address', 'stored under a key that is not its hash (overwritten?)')
  return { ok: true, envelope, hash }
}
