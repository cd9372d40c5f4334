/**
 * Typed facade over the task DAG in a Y.Doc. The UI and the scheduler never
 * touch Y types. Every write is one transaction with this board as origin, so
 * observers can tell local writes from remote ones, and a result and the
 * nodes it creates (a plan's subtasks) arrive together or not at all.
 *
 * The same class serves the shared board (synced by the mesh) and the
 * private board (a Y.Doc that never leaves this tab).
 */
import * as Y from 'yjs'
import type { Clock, Random } from '../clock'
import { createLogger } from '../log'
import type { NodeIdentity } from '../mesh/identity'
import type { NodeId, ParseResult } from '../mesh/protocol'
import {
  DAG_SCHEMA_VERSION,
  MAX_PROMPT_LENGTH,
  NODES_KEY,
  RECORD_MAPS,
  recordKey,
  parseTaskSnapshot,
  type Claim,
  type Lease,
  type Requeue,
  type TaskId,
  type TaskResult,
  type TaskSnapshot,
  type TaskStatic,
} from './dag-schema'

const log = createLogger('board')

export class BoardInputError extends Error {
  override readonly name = 'BoardInputError'
}

/** Checks a prompt a person typed; returns the cleaned prompt or a message for them. */
export function validatePrompt(input: string): ParseResult<string> {
  const prompt = input.trim()
  if (prompt === '') return { ok: false, reason: 'Type a task first.' }
  if (prompt.length > MAX_PROMPT_LENGTH) return { ok: false, reason: `The task is ${prompt.length} characters long; the limit is ${MAX_PROMPT_LENGTH}.` }
  return { ok: true, value: prompt }
}

export const PLAN_MAX_ATTEMPTS = 3

export class Board {
  private readonly nodes: Y.Map<unknown>
  private readonly reported = new Set<string>()

  constructor(
    readonly doc: Y.Doc,
    private readonly clock: Clock,
    private readonly random: Random,
    /** Shown in the UI: the private board's tasks never leave this tab. */
    readonly isPrivate = false,
  ) {
    this.nodes = doc.getMap(NODES_KEY)
  }

  /** Adds a task as a root plus its plan node. Throws BoardInputError (message for a person) on bad input. */
  submit(prompt: string, author: NodeIdentity): TaskStatic {
    const checked = validatePrompt(prompt)
    if (!checked.ok) throw new BoardInputError(checked.reason)
    const now = this.clock.now()
    const rootId = this.newId()
    const base = { v: DAG_SCHEMA_VERSION, rootId, createdAt: now, createdBy: author.id, createdByName: author.name } as const
    const root: TaskStatic = { ...base, id: rootId, kind: 'root', title: titleOf(checked.value), prompt: checked.value, deps: [], maxAttempts: 1 }
    const plan: TaskStatic = { ...base, id: `${rootId}-plan` as TaskId, kind: 'plan', role: 'planner', title: 'Plan', prompt: checked.value, deps: [], maxAttempts: PLAN_MAX_ATTEMPTS }
    this.doc.transact(() => {
      this.writeNode(root)
      this.writeNode(plan)
    }, this)
    log.info(`task ${rootId} submitted${this.isPrivate ? ' (private)' : ''}`)
    return root
  }

  /** Every valid task node, read fresh. Invalid entries are skipped and logged once. */
  snapshot(): TaskSnapshot[] {
    const out: TaskSnapshot[] = []
    this.nodes.forEach((raw, key) => {
      const task = parseTaskSnapshot(key, raw, (reason) => this.reportOnce(key, reason))
      if (task) out.push(task)
    })
    return out
  }

  addClaim(taskId: TaskId, claim: Claim): void {
    this.putRecord(taskId, 'claims', recordKey(claim.attempt, claim.node), claim)
  }

  addLease(taskId: TaskId, lease: Lease): void {
    this.putRecord(taskId, 'leases', recordKey(lease.attempt, lease.node), lease)
  }

  setPartial(taskId: TaskId, attempt: number, node: NodeId, text: string): void {
    this.putRecord(taskId, 'partials', recordKey(attempt, node), text)
  }

  /** Writes a finished run and, in the same transaction, the nodes it creates. */
  addResult(taskId: TaskId, result: TaskResult, children: readonly TaskStatic[] = [], requeue?: { taskId: TaskId; requeue: Requeue }): void {
    this.doc.transact(() => {
      this.putRecord(taskId, 'results', recordKey(result.attempt, result.provenance.node), result)
      for (const child of children) if (!this.nodes.has(child.id)) this.writeNode(child)
      if (requeue) this.addRequeue(requeue.taskId, requeue.requeue)
    }, this)
  }

  /** Adds nodes that don't exist yet (a streamed plan's steps), in one transaction; existing ids are left as they are (grow-only). */
  addNodes(children: readonly TaskStatic[]): void {
    this.doc.transact(() => {
      for (const child of children) if (!this.nodes.has(child.id)) this.writeNode(child)
    }, this)
  }

  /** Ends attempt k without a result. Idempotent: the first record for k stays. */
  addRequeue(taskId: TaskId, requeue: Requeue): void {
    const entry = this.nodes.get(taskId)
    const map = entry instanceof Y.Map ? entry.get('requeues') : undefined
    if (map instanceof Y.Map && [...map.keys()].some((k) => k.startsWith(`${requeue.attempt}:`))) return
    this.putRecord(taskId, 'requeues', recordKey(requeue.attempt, requeue.by), requeue)
  }

  /** Fires after any change, local or remote. Returns its own unsubscribe. */
  onChange(listener: (local: boolean) => void): () => void {
    const handler = (_events: unknown, txn: Y.Transaction): void => listener(txn.origin === this)
    this.nodes.observeDeep(handler)
    return () => this.nodes.unobserveDeep(handler)
  }

  private writeNode(task: TaskStatic): void {
    const entry = new Y.Map<unknown>()
    for (const [k, v] of Object.entries(task)) if (v !== undefined) entry.set(k, v)
    for (const name of RECORD_MAPS) entry.set(name, new Y.Map())
    this.nodes.set(task.id, entry)
  }

  private putRecord(taskId: TaskId, kind: (typeof RECORD_MAPS)[number], key: string, value: unknown): void {
    this.doc.transact(() => {
      const entry = this.nodes.get(taskId)
      if (!(entry instanceof Y.Map)) return void log.warn(`no task ${taskId} to record ${kind} on`)
      let map = entry.get(kind)
      if (!(map instanceof Y.Map)) {
        map = new Y.Map()
        entry.set(kind, map)
      }
      ;(map as Y.Map<unknown>).set(key, value)
    }, this)
  }

  private reportOnce(key: string, reason: string): void {
    const id = `${key}|${reason}`
    if (this.reported.has(id)) return
    this.reported.add(id)
    log.warn(`ignoring invalid board data in ${key.slice(0, 64)}: ${reason}`)
  }

  newId(): TaskId {
    let id = Math.max(0, Math.floor(this.clock.now())).toString(36)
    while (id.length < 16) id += Math.floor(this.random.next() * 36).toString(36)
    return id as TaskId
  }
}

function titleOf(prompt: string): string {
  const line = prompt.split('\n')[0] ?? prompt
  return line.length > 80 ? `${line.slice(0, 77)}…` : line
}
