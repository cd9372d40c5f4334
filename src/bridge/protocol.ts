/**
 * The donor bridge protocol: what a page opened by `npm run donor` (with
 * `?donor=1`) tells the donor process, and what it answers when driven.
 *
 *   page → donor, through the binding `__mindosDonorEmit(event)`:
 *     { type: 'status', ... }  this tab's node: room, peers, engine, state, …
 *     { type: 'task', ... }    a watched task's derived view (streaming, answer)
 *   donor → page, through `page.evaluate` on `window.__mindosDonor`:
 *     submit(prompt) → SubmitReply, watch(taskId) → boolean, status() → TabStatus,
 *     configure({ roles }) → void
 *
 * The page builds these; the donor process (Node) validates every one of them
 * with the guards below before using it: a page is code we did not run
 * ourselves, and its values end up in HTTP responses.
 */
import type { ParseResult } from '../mesh/protocol'

export const BRIDGE_VERSION = 1
/** Name of the Playwright binding the page pushes events through. */
export const EMIT_BINDING = '__mindosDonorEmit'
/** The global the donor process drives with page.evaluate. */
export const BRIDGE_GLOBAL = '__mindosDonor'

const MAX_ID = 128
const MAX_NAME = 200
const MAX_TEXT = 24_000
const MAX_STEPS = 64
const MAX_PEERS = 256

export const TaskState = ['missing', 'pending', 'ready', 'claimed', 'running', 'verifying', 'done', 'failed'] as const
export type TaskState = (typeof TaskState)[number]

export interface PeerSummary {
  readonly id: string
  /** The peer's presence state: joining | ready | busy | paused. */
  readonly state: string
  readonly engineState: string
  readonly roles: readonly string[]
  readonly simulated: boolean
}

export interface DownloadProgress {
  /** 0..1 */
  readonly fraction: number
  readonly text: string
  readonly loadedBytes?: number
  readonly totalBytes?: number
}

export interface TabStatus {
  readonly v: typeof BRIDGE_VERSION
  readonly type: 'status'
  readonly room: string
  readonly nodeId: string
  readonly name: string
  readonly signaling: string
  readonly peers: readonly PeerSummary[]
  readonly engine: string
  readonly backend: string
  readonly model: string | null
  readonly simulated: boolean
  readonly engineState: string
  readonly tokensPerSec: number | null
  readonly paused: boolean
  readonly busy: boolean
  readonly roles: readonly string[]
  /** Accepted results this node produced (the contributions ledger). */
  readonly tasksDone: number
  readonly progress: DownloadProgress | null
  readonly lastError: string | null
}

export interface StepView {
  readonly id: string
  readonly title: string
  readonly status: TaskState
  readonly verification: 'passed' | 'unverified' | null
}

export interface ProvenanceView {
  readonly node: string
  readonly name: string
  readonly engine: string
  readonly model: string
  readonly simulated: boolean
  readonly tokensPerSec: number
  readonly promptTokens: number
  readonly completionTokens: number
}

export interface TaskView {
  readonly v: typeof BRIDGE_VERSION
  readonly type: 'task'
  readonly taskId: string
  readonly status: TaskState
  readonly failure: string | null
  readonly steps: readonly StepView[]
  /** The synthesizer's streamed text so far (its current attempt), before the answer exists. */
  readonly partial: string | null
  /** The root's accepted synthesizer result. */
  readonly answer: string | null
  readonly provenance: ProvenanceView | null
}

export type BridgeEvent = TabStatus | TaskView

export type SubmitReply = { readonly ok: true; readonly taskId: string } | { readonly ok: false; readonly code: 'BAD_PROMPT' | 'NOT_READY'; readonly message: string }

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const isCount = (v: unknown): v is number => isNum(v) && Number.isInteger(v) && v >= 0
const isStrList = (v: unknown, maxItems: number, maxLen: number): v is string[] => Array.isArray(v) && v.length <= maxItems && v.every((x) => isStr(x, maxLen))
const isState = (v: unknown): v is TaskState => typeof v === 'string' && (TaskState as readonly string[]).includes(v)
const orNull = <T>(v: unknown, guard: (x: unknown) => x is T): v is T | null => v === null || guard(v)

function check(ok: boolean, reason: string): asserts ok {
  if (!ok) throw new TypeError(reason)
}

function checkPeer(p: unknown, i: number): void {
  check(isRecord(p), `peers[${i}] is not an object`)
  check(isStr(p.id, MAX_ID) && isStr(p.state, 32) && isStr(p.engineState, 32), `peers[${i}] has a bad id or state`)
  check(isStrList(p.roles, 8, 32) && typeof p.simulated === 'boolean', `peers[${i}] has bad roles`)
}

function checkStatus(e: Record<string, unknown>): void {
  for (const k of ['room', 'nodeId', 'name', 'signaling', 'engine', 'backend', 'engineState'] as const) check(isStr(e[k], MAX_NAME), `status.${k} is not a short string`)
  check(Array.isArray(e.peers) && e.peers.length <= MAX_PEERS, 'status.peers is not a list')
  e.peers.forEach(checkPeer)
  check(orNull(e.model, (x): x is string => isStr(x, MAX_NAME)), 'status.model is bad')
  check(orNull(e.tokensPerSec, isNum), 'status.tokensPerSec is bad')
  check(typeof e.simulated === 'boolean' && typeof e.paused === 'boolean' && typeof e.busy === 'boolean', 'status flags are not booleans')
  check(isStrList(e.roles, 8, 32), 'status.roles is bad')
  check(isCount(e.tasksDone), 'status.tasksDone is not a count')
  check(orNull(e.lastError, (x): x is string => isStr(x, 2_000)), 'status.lastError is bad')
  const p = e.progress
  check(p === null || (isRecord(p) && isNum(p.fraction) && p.fraction >= 0 && p.fraction <= 1 && isStr(p.text, 500)), 'status.progress is bad')
  if (isRecord(p)) check((p.loadedBytes === undefined || isCount(p.loadedBytes)) && (p.totalBytes === undefined || isCount(p.totalBytes)), 'status.progress bytes are bad')
}

function checkTask(e: Record<string, unknown>): void {
  check(isStr(e.taskId, MAX_ID) && isState(e.status), 'task id or status is bad')
  check(orNull(e.failure, (x): x is string => isStr(x, 2_000)), 'task.failure is bad')
  check(Array.isArray(e.steps) && e.steps.length <= MAX_STEPS, 'task.steps is not a list')
  for (const s of e.steps) {
    check(isRecord(s) && isStr(s.id, MAX_ID) && isStr(s.title, MAX_NAME) && isState(s.status), 'a step is bad')
    check(s.verification === null || s.verification === 'passed' || s.verification === 'unverified', 'a step verification is bad')
  }
  check(orNull(e.partial, (x): x is string => isStr(x, MAX_TEXT)) && orNull(e.answer, (x): x is string => isStr(x, MAX_TEXT)), 'task text is bad')
  const p = e.provenance
  if (p !== null) {
    check(isRecord(p), 'task.provenance is bad')
    check(isStr(p.node, MAX_ID) && isStr(p.name, MAX_NAME) && isStr(p.engine, MAX_NAME) && isStr(p.model, MAX_NAME), 'provenance names are bad')
    check(typeof p.simulated === 'boolean' && isNum(p.tokensPerSec) && isCount(p.promptTokens) && isCount(p.completionTokens), 'provenance figures are bad')
  }
}

/** Validates one event the page pushed. Never throws. */
export function parseBridgeEvent(raw: unknown): ParseResult<BridgeEvent> {
  try {
    check(isRecord(raw), 'not an object')
    check(raw.v === BRIDGE_VERSION, `bridge version ${String(raw.v)}, expected ${BRIDGE_VERSION}`)
    if (raw.type === 'status') checkStatus(raw)
    else if (raw.type === 'task') checkTask(raw)
    else throw new TypeError(`unknown type ${JSON.stringify(raw.type)?.slice(0, 40)}`)
    return { ok: true, value: raw as unknown as BridgeEvent }
  } catch (err) {
    return { ok: false, reason: (err as Error).message }
  }
}

export function parseSubmitReply(raw: unknown): ParseResult<SubmitReply> {
  if (!isRecord(raw)) return { ok: false, reason: 'submit reply is not an object' }
  if (raw.ok === true && isStr(raw.taskId, MAX_ID) && raw.taskId !== '') return { ok: true, value: { ok: true, taskId: raw.taskId } }
  if (raw.ok === false && (raw.code === 'BAD_PROMPT' || raw.code === 'NOT_READY') && isStr(raw.message, 2_000)) return { ok: true, value: { ok: false, code: raw.code, message: raw.message } }
  return { ok: false, reason: 'submit reply has an unknown shape' }
}

/** The terminal states. 'missing' is not one: a restarted tab may not have loaded its board yet. */
export function isFinished(status: TaskState): boolean {
  return status === 'done' || status === 'failed'
}
