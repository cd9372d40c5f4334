/**
 * The task DAG's records and the validation of everything peers wrote.
 *
 * A task is its statics (TaskStatic, written once by its creator) plus
 * grow-only records about it, each keyed so two writers never collide:
 *   claims    `${attempt}:${nodeId}` → Claim      ("I want to run attempt k")
 *   leases    `${attempt}:${nodeId}` → Lease      ("I am running attempt k"; beat renews it)
 *   results   `${attempt}:${nodeId}` → TaskResult (a finished run)
 *   requeues  `${attempt}:${by}`     → Requeue    ("attempt k ended without a result"; derive decides which count)
 *   partials  `${attempt}:${nodeId}` → string     (streamed output, batched)
 * Each record travels as a signed envelope (record-codec.ts) and nodeId is
 * always its signer. Status is never stored: it is derived from these records
 * by the pure functions in src/scheduler/derive.ts. Records only ever get
 * added, so every replica that has seen the same records derives the same
 * board (invariant 2), whatever order they arrived in.
 */
import { isNodeId, type NodeId, type ParseResult } from '../mesh/protocol'

/** 3: statics travel in signed envelopes (v2 boards lived unsigned in `doc.getMap('nodes')`). */
export const DAG_SCHEMA_VERSION = 3
/** Where schema v2 kept its tasks: read only to tell a person the room holds an older board. */
export const LEGACY_NODES_KEY = 'nodes'
export const MAX_PROMPT_LENGTH = 4_000
export const MAX_TEXT_LENGTH = 24_000
const MAX_TITLE = 120
const MAX_DEPS = 16
export const MAX_QUORUM = 4
export const MAX_VERIFIERS = 32

export type TaskId = string & { readonly __taskId: true }

export const TaskKind = { root: 'root', plan: 'plan', research: 'research', verify: 'verify', synthesize: 'synthesize' } as const
export type TaskKind = (typeof TaskKind)[keyof typeof TaskKind]

export const Role = { planner: 'planner', researcher: 'researcher', verifier: 'verifier', synthesizer: 'synthesizer' } as const
export type Role = (typeof Role)[keyof typeof Role]
export const ALL_ROLES: readonly Role[] = Object.values(Role)

export interface TaskStatic {
  readonly v: typeof DAG_SCHEMA_VERSION
  readonly id: TaskId
  readonly rootId: TaskId
  readonly kind: TaskKind
  /** Absent on roots: a root is never executed, it gathers its graph. */
  readonly role?: Role
  readonly title: string
  readonly prompt: string
  readonly deps: readonly TaskId[]
  readonly createdAt: number
  readonly createdBy: NodeId
  readonly createdByName: string
  readonly maxAttempts: number
  /** The result (key `${taskId}/${resultKey}`) that created this node; absent for root and plan. */
  readonly origin?: string
  /**
   * For verify nodes: which result of which task is judged, and which quorum
   * slot this node fills (1..quorum, quorum + 1 = the tiebreak; absent = 1).
   */
  readonly verifies?: { readonly taskId: TaskId; readonly attempt: number; readonly resultKey: string; readonly producer: NodeId; readonly slot?: number }
  /** Roots only: how many verifiers must all pass each research result (quorum.ts); absent = 1. */
  readonly quorum?: number
  /** Roots only: the keys the submitter had seen when it created the task; with a quorum, only they verify (quorum.ts). */
  readonly verifiers?: readonly NodeId[]
}

export interface Claim {
  readonly node: NodeId
  readonly name: string
  readonly attempt: number
}

export interface Lease {
  readonly node: NodeId
  readonly name: string
  readonly attempt: number
  /** Bumped while the holder works; observers time its silence on their own clock. */
  readonly beat: number
}

export interface Provenance {
  readonly node: NodeId
  readonly name: string
  readonly engine: string
  readonly model: string
  readonly simulated: boolean
  readonly tokensPerSec: number
  readonly startedAt: number
  readonly endedAt: number
  readonly promptTokens: number
  readonly completionTokens: number
}

export interface TaskResult {
  readonly attempt: number
  readonly text: string
  /** Verify nodes: the judgement. */
  readonly verdict?: 'pass' | 'fail'
  readonly reason?: string
  readonly provenance: Provenance
}

export interface Requeue {
  readonly attempt: number
  readonly cause: 'holder-lost' | 'claim-stale' | 'error' | 'verification-failed'
  readonly reason: string
  /** Verifier feedback handed to the next attempt. */
  readonly feedback?: string
  readonly by: NodeId
  /**
   * holder-lost / claim-stale only: the last beat of the winner's lease the
   * requeuer saw (-1: no lease at all). A later beat by that winner refutes
   * the requeue, so a hostile tab cannot end a live attempt (derive.ts).
   */
  readonly lastBeat?: number
}

export interface TaskSnapshot extends TaskStatic {
  readonly claims: ReadonlyMap<string, Claim>
  readonly leases: ReadonlyMap<string, Lease>
  readonly results: ReadonlyMap<string, TaskResult>
  /** `${attempt}:${by}` → Requeue: every signer's, authorization happens in derive. */
  readonly requeues: ReadonlyMap<string, Requeue>
  readonly partials: ReadonlyMap<string, string>
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isText = (v: unknown, max: number, allowEmpty = false): v is string => typeof v === 'string' && v.length <= max && (allowEmpty || v.trim() !== '')
const isCount = (v: unknown, min = 0, max = 1_000_000): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0

export function isTaskId(v: unknown): v is TaskId {
  return typeof v === 'string' && /^[a-z0-9-]{4,96}$/.test(v)
}

/** `${attempt}:${nodeId}` */
export function recordKey(attempt: number, node: NodeId): string {
  return `${attempt}:${node}`
}

export function parseStaticFields(key: string, v: Record<string, unknown>): ParseResult<TaskStatic> {
  if (v.v !== DAG_SCHEMA_VERSION) return { ok: false, reason: `unsupported schema version ${String(v.v)}` }
  if (!isTaskId(v.id) || v.id !== key) return { ok: false, reason: 'id is missing or does not match its key' }
  if (!isTaskId(v.rootId)) return { ok: false, reason: 'bad rootId' }
  if (typeof v.kind !== 'string' || !Object.hasOwn(TaskKind, v.kind)) return { ok: false, reason: 'unknown kind' }
  if (v.kind === 'root' ? v.role !== undefined : typeof v.role !== 'string' || !Object.hasOwn(Role, v.role)) return { ok: false, reason: 'role does not fit the kind' }
  if (!isText(v.title, MAX_TITLE) || !isText(v.prompt, MAX_PROMPT_LENGTH)) return { ok: false, reason: 'title or prompt is empty or too long' }
  if (!Array.isArray(v.deps) || v.deps.length > MAX_DEPS || !v.deps.every(isTaskId)) return { ok: false, reason: 'bad dependency list' }
  if (!isTime(v.createdAt) || !isNodeId(v.createdBy) || !isText(v.createdByName, 200)) return { ok: false, reason: 'bad creation fields' }
  if (!isCount(v.maxAttempts, 1, 10)) return { ok: false, reason: 'bad maxAttempts' }
  if (v.origin !== undefined && !isText(v.origin, 300)) return { ok: false, reason: 'bad origin' }
  if (v.verifies !== undefined) {
    const t = v.verifies
    if (!isRecord(t) || !isTaskId(t.taskId) || !isCount(t.attempt, 1) || !isText(t.resultKey, 200) || !isNodeId(t.producer)) return { ok: false, reason: 'bad verifies' }
    if (t.slot !== undefined && !isCount(t.slot, 2, MAX_QUORUM + 1)) return { ok: false, reason: 'bad verify slot' }
  }
  if ((v.kind === 'verify') !== (v.verifies !== undefined)) return { ok: false, reason: 'verifies must be set exactly on verify nodes' }
  if (v.quorum !== undefined && (v.kind !== 'root' || !isCount(v.quorum, 1, MAX_QUORUM))) return { ok: false, reason: 'a quorum belongs on a root, 1 to 4' }
  if (v.verifiers !== undefined && (v.kind !== 'root' || !Array.isArray(v.verifiers) || v.verifiers.length > MAX_VERIFIERS || !v.verifiers.every(isNodeId))) return { ok: false, reason: 'bad verifier list' }
  return { ok: true, value: v as unknown as TaskStatic }
}

const parsers = {
  claims: (v: unknown): v is Claim => isRecord(v) && isNodeId(v.node) && isText(v.name, 200) && isCount(v.attempt, 1),
  leases: (v: unknown): v is Lease => isRecord(v) && isNodeId(v.node) && isText(v.name, 200) && isCount(v.attempt, 1) && isCount(v.beat),
  results: (v: unknown): v is TaskResult => {
    if (!isRecord(v) || !isCount(v.attempt, 1) || !isText(v.text, MAX_TEXT_LENGTH, true)) return false
    if (v.verdict !== undefined && v.verdict !== 'pass' && v.verdict !== 'fail') return false
    if (v.reason !== undefined && !isText(v.reason, 2_000, true)) return false
    const p = v.provenance
    return isRecord(p) && isNodeId(p.node) && isText(p.name, 200) && isText(p.engine, 100) && isText(p.model, 200) && typeof p.simulated === 'boolean' &&
      typeof p.tokensPerSec === 'number' && p.tokensPerSec >= 0 && isTime(p.startedAt) && isTime(p.endedAt) && isCount(p.promptTokens) && isCount(p.completionTokens)
  },
  requeues: (v: unknown): v is Requeue =>
    isRecord(v) && isCount(v.attempt, 1) && ['holder-lost', 'claim-stale', 'error', 'verification-failed'].includes(String(v.cause)) &&
    isText(v.reason, 2_000) && (v.feedback === undefined || isText(v.feedback, 2_000, true)) && isNodeId(v.by) &&
    (v.lastBeat === undefined || isCount(v.lastBeat, -1)),
  partials: (v: unknown): v is string => isText(v, MAX_TEXT_LENGTH, true),
}

type RecordMap = keyof typeof parsers

/** Validates one record value of the given map's type. */
export function parseRecordValue(kind: RecordMap, value: unknown): boolean {
  return parsers[kind](value)
}
