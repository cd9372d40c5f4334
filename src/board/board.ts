/**
 * Typed facade over the signed task DAG in a Y.Doc. The UI and the scheduler
 * never touch Y types or envelopes. Every record this tab writes is signed
 * with its identity key (record-codec.ts says how each kind is stored);
 * every record read back has been verified and authorized (record-sync.ts,
 * snapshot-build.ts), so a hostile tab can neither forge nor erase.
 *
 * Writes keep the synchronous contract callers rely on: a record is part of
 * snapshot() at once, while its signature is computed, and reaches the doc
 * (in one transaction per call: a result and the nodes it creates arrive
 * together or not at all) as soon as it is signed, in call order.
 *
 * The same class serves the shared board (synced by the mesh) and the
 * private board (a Y.Doc that never leaves this tab).
 */
import type * as Y from 'yjs'
import type { Clock, Random } from '../clock'
import { createLogger } from '../log'
import type { NodeIdentity } from '../mesh/identity'
import type { NodeId, ParseResult } from '../mesh/protocol'
import { signEnvelope, type Envelope } from '../trust/envelope'
import type { EnvelopeVerifier } from '../trust/envelope-verifier'
import { nodeIdFromKeyId, type Signer } from '../trust/keys'
import type { VerifiedStore } from '../trust/verified-store'
import { DAG_SCHEMA_VERSION, LEGACY_NODES_KEY, MAX_PROMPT_LENGTH, MAX_QUORUM, MAX_VERIFIERS, type Claim, type Lease, type Requeue, type TaskId, type TaskResult, type TaskSnapshot, type TaskStatic } from './dag-schema'
import { actingNode, addressOf, recordFields, type BoardRecord } from './record-codec'
import { RecordSync, type RejectionRow } from './record-sync'
import { buildSnapshots, rootOwnerSuffix, type BuiltBoard, type RecordEntry } from './snapshot-build'

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

export interface BoardDeps {
  readonly doc: Y.Doc
  /** The room name the envelopes are bound to (a private board uses its own). */
  readonly room: string
  readonly clock: Clock
  readonly random: Random
  /** This tab's key; null (no WebCrypto) makes the board read-only. */
  readonly signer: Signer | null
  readonly verifier: EnvelopeVerifier
  /** The local verified store; null keeps nothing across reloads (tests, storage failures). */
  readonly store?: VerifiedStore | null
  /** Shown in the UI: the private board's tasks never leave this tab. */
  readonly isPrivate?: boolean
  /**
   * The verification quorum a new task gets, and the keys this tab has seen
   * (they alone may fill its quorum: fresh keys cannot stack it). Absent: 1.
   */
  readonly verification?: () => { readonly quorum: number; readonly verifiers: readonly NodeId[] }
}

interface Pending {
  readonly entries: RecordEntry[]
}

export class Board {
  readonly doc: Y.Doc
  readonly isPrivate: boolean
  /** Resolves once the locally kept records have been verified and put back into the doc. */
  readonly ready: Promise<void>
  private readonly sync: RecordSync
  private readonly self: NodeId | null
  private readonly listeners = new Set<(local: boolean) => void>()
  private readonly pending = new Set<Pending>()
  private chain: Promise<void> = Promise.resolve()
  private built: { version: number; board: BuiltBoard } | null = null
  private localVersion = 0
  private pendingSeq = 0
  private partialSeq = 0
  private signedCount = 0
  private warnedReadOnly = false
  private readonly reportedUnauthorized = new Set<string>()

  constructor(private readonly deps: BoardDeps) {
    this.doc = deps.doc
    this.isPrivate = deps.isPrivate ?? false
    this.self = deps.signer ? nodeIdFromKeyId(deps.signer.keyId) : null
    this.sync = new RecordSync(deps.doc, deps.room, deps.verifier, deps.store ?? null, () => this.emit(false))
    this.ready = this.sync.ready
  }

  /** Whether this tab can write (it holds a signing key). */
  get writable(): boolean {
    return this.self !== null
  }

  /** Adds a task as a root plus its plan node. Throws BoardInputError (message for a person) on bad input. */
  submit(prompt: string, author: NodeIdentity): TaskStatic {
    const checked = validatePrompt(prompt)
    if (!checked.ok) throw new BoardInputError(checked.reason)
    if (!this.self) throw new BoardInputError('This tab has no signing key (WebCrypto is unavailable here), so it cannot add tasks.')
    const now = this.deps.clock.now()
    const rootId = this.newRootId()
    const base = { v: DAG_SCHEMA_VERSION, rootId, createdAt: now, createdBy: this.self, createdByName: author.name } as const
    const v = this.deps.verification?.()
    // The keys seen now go on every public root: they outrank keys made later (authorize.ts) and alone fill a quorum.
    const members = v && v.verifiers.length > 0 ? { verifiers: [...new Set([this.self, ...v.verifiers])].slice(0, MAX_VERIFIERS) } : {}
    const quorum = v && v.quorum >= 2 ? { ...members, quorum: Math.min(MAX_QUORUM, v.quorum) } : members
    const root: TaskStatic = { ...base, id: rootId, kind: 'root', title: titleOf(checked.value), prompt: checked.value, deps: [], maxAttempts: 1, ...quorum }
    const plan: TaskStatic = { ...base, id: `${rootId}-plan` as TaskId, kind: 'plan', role: 'planner', title: 'Plan', prompt: checked.value, deps: [], maxAttempts: PLAN_MAX_ATTEMPTS }
    this.write([{ type: 'task', task: root }, { type: 'task', task: plan }])
    log.info(`task ${rootId} submitted${this.isPrivate ? ' (private)' : ''}`)
    return root
  }

  /** Every valid, authorized task, with this tab's records still being signed. */
  snapshot(): TaskSnapshot[] {
    return this.build().tasks
  }

  /** Keys caught equivocating → what they did. None of their records count. */
  distrusted(): ReadonlyMap<NodeId, string> {
    return this.build().distrusted
  }

  /** Records this tab refused, per writer and reason. */
  rejections(): RejectionRow[] {
    const rows = this.sync.rejections()
    const unauthorized = new Map<string, Record<string, number>>()
    for (const u of this.build().unauthorized) {
      const reasons = unauthorized.get(u.signer) ?? {}
      reasons[`unauthorized: ${u.reason}`] = 1
      unauthorized.set(u.signer, reasons)
    }
    return [...rows, ...[...unauthorized].map(([writer, reasons]) => ({ writer, reasons }))]
  }

  /** How many tasks of the older, unsigned board format (schema v2) the doc still holds; they are not shown. */
  legacyTaskCount(): number {
    return this.doc.getMap(LEGACY_NODES_KEY).size
  }

  /** Counters for the debug handle and the benches: records held, put back, signed here, and signatures checked. */
  stats(): { records: number; repairs: number; pendingWrites: number; signed: number; signatureChecks: number } {
    return { ...this.sync.stats(), pendingWrites: this.pending.size, signed: this.signedCount, signatureChecks: this.deps.verifier.stats().signatureChecks }
  }

  /** Resolves once every write made so far is signed and in the doc. */
  flushed(): Promise<void> {
    return this.chain
  }

  addClaim(taskId: TaskId, claim: Claim): void {
    if (this.ownsSlot('claim', taskId, claim.attempt)) return
    this.write([{ type: 'claim', taskId, claim }])
  }

  addLease(taskId: TaskId, lease: Lease): void {
    this.write([{ type: 'lease', taskId, lease }])
  }

  setPartial(taskId: TaskId, attempt: number, node: NodeId, text: string): void {
    this.write([{ type: 'partial', taskId, attempt, node, seq: ++this.partialSeq, text }])
  }

  /** Writes a finished run and, in the same transaction, the nodes it creates. */
  addResult(taskId: TaskId, result: TaskResult, children: readonly TaskStatic[] = [], requeue?: { taskId: TaskId; requeue: Requeue }): void {
    if (this.ownsSlot('result', taskId, result.attempt)) return
    const records: BoardRecord[] = [{ type: 'result', taskId, result }, ...this.newChildren(children)]
    if (requeue && !this.snapshot().find((t) => t.id === requeue.taskId)?.requeues.has(`${requeue.requeue.attempt}:${this.self}`)) records.push({ type: 'requeue', taskId: requeue.taskId, requeue: requeue.requeue })
    this.write(records)
  }

  /** Adds nodes that don't exist yet (a streamed plan's steps), in one transaction; existing ids are left as they are (grow-only). */
  addNodes(children: readonly TaskStatic[]): void {
    const fresh = this.newChildren(children)
    if (fresh.length > 0) this.write(fresh)
  }

  /**
   * Ends attempt k without a result. Per signer one record for k, renewed
   * only with a later lastBeat (the holder beat again, then stopped).
   */
  addRequeue(taskId: TaskId, requeue: Requeue): void {
    const mine = this.snapshot().find((t) => t.id === taskId)?.requeues.get(`${requeue.attempt}:${this.self}`)
    if (mine && (mine.lastBeat ?? -1) >= (requeue.lastBeat ?? -1)) return
    this.write([{ type: 'requeue', taskId, requeue }])
  }

  /** Fires after any change, local or remote (remote ones once verified). Returns its own unsubscribe. */
  onChange(listener: (local: boolean) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  newId(): TaskId {
    let id = Math.max(0, Math.floor(this.deps.clock.now())).toString(36)
    while (id.length < 16) id += Math.floor(this.deps.random.next() * 36).toString(36)
    return id as TaskId
  }

  /** A root id carries its creator's id, so nobody else can write a task under it (snapshot-build.ts). */
  private newRootId(): TaskId {
    return `${this.newId()}${rootOwnerSuffix(this.self!)}` as TaskId
  }

  private newChildren(children: readonly TaskStatic[]): BoardRecord[] {
    const known = new Set(this.snapshot().map((t) => t.id))
    return children.filter((c) => !known.has(c.id) && !this.ownsSlot('task', c.id, 0)).map((task) => ({ type: 'task', task }))
  }

  /** Whether this tab already signed (or is signing) an immutable record for this slot: signing another would be equivocation. */
  private ownsSlot(kind: 'claim' | 'result' | 'task', task: string, attempt: number): boolean {
    const mine = (e: { node: NodeId; kind: string; task: string; attempt: number }): boolean =>
      e.node === this.self && e.task === task && e.attempt === attempt && (e.kind === kind || (kind === 'result' && e.kind === 'verdict'))
    for (const r of this.sync.records()) if (mine(r)) return true
    for (const p of this.pending) if (p.entries.some(mine)) return true
    return false
  }

  private write(records: BoardRecord[]): void {
    const self = this.self
    if (!self || !this.deps.signer) {
      if (!this.warnedReadOnly) log.warn('this tab has no signing key: its board is read-only')
      this.warnedReadOnly = true
      return
    }
    const signer = this.deps.signer
    // Every reader refuses a record that speaks for another node than its signer: never write one.
    const foreign = records.find((r) => actingNode(r) !== self)
    if (foreign) return void log.error(`not signing a ${foreign.type} record that names node ${actingNode(foreign).slice(0, 12)}, not this tab`)
    const ts = this.deps.clock.now()
    const fields = records.map((r) => recordFields(this.deps.room, r, ts))
    const entry: Pending = { entries: records.map((record, i) => ({ node: self, kind: fields[i]!.kind, task: fields[i]!.task, attempt: fields[i]!.attempt, hash: `pending:${++this.pendingSeq}`, record })) }
    this.pending.add(entry)
    this.localVersion++
    this.emit(true)
    this.chain = this.chain.then(async () => {
      try {
        const signed = await Promise.all(fields.map((f) => signEnvelope(signer, f)))
        this.signedCount += signed.length
        this.pending.delete(entry)
        this.sync.publish(signed.map((s, i) => ({ signed: s, address: addressOf(s.envelope as Envelope, s.hash), record: records[i]! })))
      } catch (err) {
        this.pending.delete(entry)
        this.localVersion++
        log.error(`could not sign ${records.map((r) => r.type).join('+')} for the board: ${String(err)}`)
        this.emit(true)
      }
    })
  }

  private build(): BuiltBoard {
    const version = this.sync.version * 1_000_003 + this.localVersion
    if (this.built?.version === version) return this.built.board
    const entries: RecordEntry[] = [...this.sync.records()]
    for (const p of this.pending) entries.push(...p.entries)
    const board = buildSnapshots(entries)
    for (const u of board.unauthorized) {
      const key = `${u.signer}|${u.reason}`
      if (this.reportedUnauthorized.has(key)) continue
      this.reportedUnauthorized.add(key)
      log.warn(`ignoring task statics from ${u.signer.slice(0, 12)}: ${u.reason}`)
    }
    this.built = { version, board }
    return board
  }

  private emit(local: boolean): void {
    for (const l of [...this.listeners]) l(local)
  }
}

function titleOf(prompt: string): string {
  const line = prompt.split('\n')[0] ?? prompt
  return line.length > 80 ? `${line.slice(0, 77)}…` : line
}
