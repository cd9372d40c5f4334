/**
 * Board records ↔ signed envelopes (src/trust/envelope.ts): what each record
 * kind signs, where it is stored in the doc, and how a verified envelope is
 * read back. Pure.
 *
 * Doc layout (schema v3): `doc.getMap('records')`, address → envelope text.
 *  - Immutable records (task statics, claims, results, verdicts, requeues)
 *    live under their content hash, so an overwrite is always visible, and
 *    two different envelopes one key signed for the same slot both stay in
 *    the doc, where every tab sees the equivocation.
 *  - Progressive records (lease beats, streamed partials, requeues) live
 *    under their slot, `${kind}/${task}/${attempt}/${node}`, and the newest
 *    version wins (highest beat, sequence or lastBeat): a beat every second
 *    would otherwise pile up one record per second per running task, and a
 *    tab whose requeue the holder's next beat refuted must be able to renew
 *    it when the holder really stops (derive.ts judges requeues by lastBeat).
 * Every record's acting node is its signer: a payload naming another node
 * than the one whose key signed it is rejected here, before any reader sees it.
 */
import type { NodeId } from '../mesh/protocol'
import type { CanonicalValue } from '../trust/canonical'
import { isEnvelopeHash, RecordKind, type Envelope, type RecordFields } from '../trust/envelope'
import { parseRecordValue, parseStaticFields, type Claim, type Lease, type Requeue, type TaskId, type TaskResult, type TaskStatic } from './dag-schema'

export const RECORDS_KEY = 'records'
export const BOARD_SCHEMA_VERSION = 3

export type BoardRecord =
  | { readonly type: 'task'; readonly task: TaskStatic }
  | { readonly type: 'claim'; readonly taskId: TaskId; readonly claim: Claim }
  | { readonly type: 'lease'; readonly taskId: TaskId; readonly lease: Lease }
  | { readonly type: 'result'; readonly taskId: TaskId; readonly result: TaskResult }
  | { readonly type: 'requeue'; readonly taskId: TaskId; readonly requeue: Requeue }
  | { readonly type: 'partial'; readonly taskId: TaskId; readonly attempt: number; readonly node: NodeId; readonly seq: number; readonly text: string }

export type ProgressiveKind = typeof RecordKind.lease | typeof RecordKind.partial | typeof RecordKind.requeue

export function isProgressive(kind: RecordKind): kind is ProgressiveKind {
  return kind === RecordKind.lease || kind === RecordKind.partial || kind === RecordKind.requeue
}

/** The doc address of a progressive record's slot. */
export function slotAddress(kind: ProgressiveKind, task: string, attempt: number, node: string): string {
  return `${kind}/${task}/${attempt}/${node}`
}

const SLOT_ADDRESS = /^(lease|partial|requeue)\/([a-z0-9-]{4,96})\/(\d{1,7})\/([a-z0-9-]{4,64})$/

/** Parses a progressive slot address; null for anything else. */
export function parseSlotAddress(address: string): { kind: ProgressiveKind; task: string; attempt: number; node: string } | null {
  const m = SLOT_ADDRESS.exec(address)
  if (!m) return null
  return { kind: m[1] as ProgressiveKind, task: m[2]!, attempt: Number(m[3]), node: m[4]! }
}

/** Whether a doc key can hold a record at all (anything else is junk). */
export function isRecordAddress(address: string): boolean {
  return isEnvelopeHash(address) || parseSlotAddress(address) !== null
}

/** Which version of a progressive slot is newer: the higher beat (lease), sequence (partial) or lastBeat (requeue). */
export function progressiveVersion(e: Envelope): number {
  const p = e.payload
  const n = e.kind === RecordKind.lease ? p.beat : e.kind === RecordKind.partial ? p.seq : (p.lastBeat ?? -1)
  return typeof n === 'number' ? n : -2
}

/** tokensPerSec is a float; canonical JSON carries safe integers only, so it travels in thousandths. */
const toMilli = (x: number): number => Math.max(0, Math.round(x * 1000))

function resultPayload(r: TaskResult): CanonicalValue {
  const { provenance, ...rest } = r
  const { tokensPerSec, ...prov } = provenance
  return { ...rest, provenance: { ...prov, tokensPerSecMilli: toMilli(tokensPerSec) } } as unknown as CanonicalValue
}

/**
 * Canonical JSON carries safe integers only: times from a sub-millisecond
 * clock are rounded to the millisecond, and absent optional fields are
 * dropped (canonical JSON has no `undefined`).
 */
function canonicalNumbers(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value) : value
  if (Array.isArray(value)) return value.map(canonicalNumbers)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = canonicalNumbers(v)
  return out
}

/** What a record signs. `ts` is the signer's clock. */
export function recordFields(room: string, record: BoardRecord, ts: number): RecordFields {
  const base = { room, ts: Math.max(0, Math.floor(ts)) }
  const payload = (v: unknown) => canonicalNumbers(v) as { readonly [key: string]: CanonicalValue }
  switch (record.type) {
    case 'task':
      return { ...base, task: record.task.id, attempt: 0, kind: RecordKind.task, payload: payload(record.task) }
    case 'claim':
      return { ...base, task: record.taskId, attempt: record.claim.attempt, kind: RecordKind.claim, payload: payload(record.claim) }
    case 'lease':
      return { ...base, task: record.taskId, attempt: record.lease.attempt, kind: RecordKind.lease, payload: payload(record.lease) }
    case 'result':
      return { ...base, task: record.taskId, attempt: record.result.attempt, kind: record.result.verdict ? RecordKind.verdict : RecordKind.result, payload: payload(resultPayload(record.result)) }
    case 'requeue':
      return { ...base, task: record.taskId, attempt: record.requeue.attempt, kind: RecordKind.requeue, payload: payload(record.requeue) }
    case 'partial':
      return { ...base, task: record.taskId, attempt: record.attempt, kind: RecordKind.partial, payload: { seq: record.seq, text: record.text } }
  }
}

/** The node a record speaks for: readers accept it only when that is its signer. */
export function actingNode(record: BoardRecord): string {
  switch (record.type) {
    case 'task':
      return record.task.createdBy
    case 'claim':
      return record.claim.node
    case 'lease':
      return record.lease.node
    case 'result':
      return record.result.provenance.node
    case 'requeue':
      return record.requeue.by
    case 'partial':
      return record.node
  }
}

/** The address a signed record is stored under. */
export function addressOf(envelope: Envelope, hash: string): string {
  return isProgressive(envelope.kind) ? slotAddress(envelope.kind, envelope.task, envelope.attempt, envelope.node) : hash
}

export type DecodeResult = { ok: true; record: BoardRecord } | { ok: false; reason: string }

const bad = (reason: string): DecodeResult => ({ ok: false, reason })

/**
 * Reads a verified envelope back into a board record. The payload is
 * validated like any peer-written data, and must agree with the envelope:
 * same task, same attempt, and the signer as its acting node.
 */
export function decodeRecord(e: Envelope): DecodeResult {
  const p = e.payload as Record<string, unknown>
  switch (e.kind) {
    case RecordKind.task: {
      const parsed = parseStaticFields(e.task, p)
      if (!parsed.ok) return bad(`task: ${parsed.reason}`)
      if (parsed.value.createdBy !== e.node) return bad('task: createdBy is not the signer')
      return { ok: true, record: { type: 'task', task: parsed.value } }
    }
    case RecordKind.claim:
    case RecordKind.lease: {
      const kind = e.kind === RecordKind.claim ? 'claims' : 'leases'
      if (!parseRecordValue(kind, p)) return bad(`${e.kind}: bad payload`)
      const r = p as unknown as Claim & Lease
      if (r.node !== e.node || r.attempt !== e.attempt) return bad(`${e.kind}: node or attempt differs from the envelope`)
      const taskId = e.task as TaskId
      return { ok: true, record: e.kind === RecordKind.claim ? { type: 'claim', taskId, claim: r } : { type: 'lease', taskId, lease: r } }
    }
    case RecordKind.result:
    case RecordKind.verdict: {
      const prov = p.provenance as Record<string, unknown> | undefined
      if (typeof prov !== 'object' || prov === null || typeof prov.tokensPerSecMilli !== 'number') return bad('result: bad provenance')
      const { tokensPerSecMilli, ...rest } = prov
      const result = { ...p, provenance: { ...rest, tokensPerSec: tokensPerSecMilli / 1000 } } as unknown as TaskResult
      if (!parseRecordValue('results', result)) return bad('result: bad payload')
      if (result.provenance.node !== e.node || result.attempt !== e.attempt) return bad('result: node or attempt differs from the envelope')
      if ((result.verdict !== undefined) !== (e.kind === RecordKind.verdict)) return bad('result: verdict and kind disagree')
      return { ok: true, record: { type: 'result', taskId: e.task as TaskId, result } }
    }
    case RecordKind.requeue: {
      if (!parseRecordValue('requeues', p)) return bad('requeue: bad payload')
      const r = p as unknown as Requeue
      if (r.by !== e.node || r.attempt !== e.attempt) return bad('requeue: by or attempt differs from the envelope')
      return { ok: true, record: { type: 'requeue', taskId: e.task as TaskId, requeue: r } }
    }
    case RecordKind.partial: {
      if (typeof p.seq !== 'number' || !parseRecordValue('partials', p.text) || Object.keys(p).length !== 2) return bad('partial: bad payload')
      return { ok: true, record: { type: 'partial', taskId: e.task as TaskId, attempt: e.attempt, node: e.node, seq: p.seq, text: p.text as string } }
    }
  }
}
