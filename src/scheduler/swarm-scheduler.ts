/**
 * The thin loop that applies the pure policy to one board: heal abandoned
 * attempts, claim by rank-based backoff, settle, lease, run the role, write
 * the result. There is no coordinator: every tab runs this same loop and the
 * deterministic rules in derive.ts make them agree.
 */
import type { Clock } from '../clock'
import { createLogger } from '../log'
import type { Board } from '../board/board'
import type { Role, TaskSnapshot } from '../board/dag-schema'
import type { InferenceClient } from '../inference/types'
import type { PeerView } from '../mesh/peer-directory'
import type { NodeId } from '../mesh/protocol'
import { runRole } from '../roles/run-role'
import { deriveBoard, isTerminal, refutableBy, type DerivedTask } from './derive'
import { chooseTask, findAbandoned, type Candidate } from './policy'
import { computeReputation } from './reputation'
import { buildRoleInput, resultWrites } from './task-io'
import { planStepNode } from './graph-builders'
import { recordKey } from '../board/dag-schema'
import type { StreamedStep } from '../roles/plan-stream'
import type { ExecutionSlot } from './execution-slot'

const log = createLogger('scheduler')

export interface SchedulerConfig {
  /** Backoff per rank (rank r waits r × delta before claiming). */
  readonly delta: number
  /** Wait after a backup claim (it races the assigned node) for competing claims to arrive before starting. */
  readonly settleMs: number
  /**
   * The settle after claiming our own assignment (the fast path): only a
   * claim sent on a view one network delay behind can still collide, and it
   * arrives within one round trip, well under this.
   */
  readonly fastSettleMs: number
  readonly beatMs: number
  readonly leaseTimeoutMs: number
  readonly claimTimeoutMs: number
  /** After start, peers we have not met yet are not judged gone. */
  readonly joinGraceMs: number
  readonly partialFlushMs: number
  readonly idleTickMs: number
}

export const DEFAULT_SCHEDULER_CONFIG: SchedulerConfig = {
  delta: 400,
  settleMs: 500,
  fastSettleMs: 150,
  // Beats come from a worker-backed timer that background throttling does not starve
  // (src/worker-clock.ts), so a silence of 4 beats means the holder is gone or frozen.
  beatMs: 1_000,
  leaseTimeoutMs: 4_000,
  claimTimeoutMs: 5_000,
  joinGraceMs: 10_000,
  partialFlushMs: 300,
  idleTickMs: 1_000,
}

export interface SelfProfile {
  readonly roles: readonly Role[]
  readonly tokensPerSec: number
  readonly visible: boolean
  /** Same figure peers see in our presence, so every node ranks us alike. */
  readonly load: number
  /** Paused donors and nodes without a ready engine take no work. */
  readonly canWork: boolean
}

export interface SchedulerDeps {
  readonly board: Board
  readonly self: { readonly id: NodeId; readonly name: string }
  /** Other nodes that can work on this board (none for the private board). */
  readonly peers: () => readonly PeerView[]
  readonly profile: () => SelfProfile
  readonly inference: InferenceClient
  readonly clock: Clock
  readonly slot: ExecutionSlot
  readonly config?: Partial<SchedulerConfig>
}

interface Running {
  readonly taskId: string
  readonly attempt: number
  readonly abort: AbortController
  beat: number
  /** Local time of our last beat: a longer gap than lostLeaseAfterMs means peers may have ended the attempt. */
  lastBeatAt: number
  lostReason?: string
}

/**
 * A holder that could not beat for this long (frozen, suspended, debugger
 * paused) treats its lease as lost: peers expire it after leaseTimeoutMs of
 * silence on their clocks, and a late result for an ended attempt would
 * still win in derive.ts (lowest attempt first), so it must never be written.
 */
export function lostLeaseAfterMs(cfg: Pick<SchedulerConfig, 'leaseTimeoutMs'>): number {
  return cfg.leaseTimeoutMs / 2
}

export function peerCandidate(p: PeerView): Candidate {
  const c = p.presence.caps
  return {
    id: p.presence.id,
    roles: (c.roles ?? []) as Role[],
    tokensPerSec: c.tokensPerSec ?? 0,
    load: p.presence.load,
    visible: p.presence.visible,
    available: p.presence.state === 'ready' && c.engineState === 'ready',
    capable: p.presence.state !== 'paused' && (c.engineState === 'ready' || c.engineState === 'generating'),
  }
}

export class SwarmScheduler {
  private readonly cfg: SchedulerConfig
  private readonly readySeen = new Map<string, number>()
  private readonly quiet = new Map<string, { sig: string; since: number }>()
  /** `${task}:${attempt}:${lastBeat}` of requeues this instance wrote. */
  private readonly requeued = new Set<string>()
  private pending: { taskId: string; attempt: number; settleAt: number } | null = null
  private running: Running | null = null
  private cancelTimer: (() => void) | null = null
  private readonly startedAt: number
  private lastTickAt: number
  private stopped = false
  private readonly unsubscribe: () => void

  constructor(private readonly deps: SchedulerDeps) {
    this.cfg = { ...DEFAULT_SCHEDULER_CONFIG, ...deps.config }
    this.startedAt = deps.clock.now()
    this.lastTickAt = this.startedAt
    this.unsubscribe = deps.board.onChange(() => this.schedule(0))
    this.schedule(0)
  }

  /** (task, attempt) this instance is running, for the UI and tests. */
  current(): { taskId: string; attempt: number } | null {
    return this.running ? { taskId: this.running.taskId, attempt: this.running.attempt } : null
  }

  /** Re-evaluate soon (presence or settings changed). */
  poke(): void {
    this.schedule(0)
  }

  destroy(): void {
    this.stopped = true
    this.cancelTimer?.()
    this.unsubscribe()
    if (this.running) {
      // A closed tab writes nothing more: peers heal its attempt through the lease rules.
      this.running.lostReason = 'this node stopped'
      this.running.abort.abort()
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return
    this.cancelTimer?.()
    this.cancelTimer = this.deps.clock.setTimeout(() => this.tick(), ms)
  }

  private key(taskId: string, attempt: number): string {
    return `${taskId}:${attempt}`
  }

  private tick(): void {
    if (this.stopped) return
    const { board, clock, self } = this.deps
    const now = clock.now()
    // We were not watching (frozen, suspended): silences we "saw" are our own; judge leases afresh.
    if (now - this.lastTickAt > lostLeaseAfterMs(this.cfg) + this.cfg.idleTickMs) {
      log.info(`this tab lost ${Math.round((now - this.lastTickAt) / 1000)} s (frozen or suspended); re-observing leases`)
      this.quiet.clear()
      if (this.running) this.checkLostTime(this.running, now)
    }
    this.lastTickAt = now
    const tasks = board.snapshot()
    const derived = deriveBoard(tasks)
    this.observe(derived, now)
    const peers = this.deps.peers()
    const alive = new Set(peers.map((p) => p.presence.id))

    for (const a of findAbandoned({
      derived,
      selfId: self.id,
      isAlive: (n) => alive.has(n) || now - this.startedAt < this.cfg.joinGraceMs,
      isMine: (t, k) => (this.running?.taskId === t && this.running.attempt === k) || (this.pending?.taskId === t && this.pending.attempt === k),
      quietSince: (t, k) => this.quiet.get(this.key(t, k))?.since ?? now,
      now,
      leaseTimeoutMs: this.cfg.leaseTimeoutMs,
      claimTimeoutMs: this.cfg.claimTimeoutMs,
    })) {
      // Once per beat seen: a requeue the holder refuted by beating on is renewed only if it falls silent again.
      const sent = `${a.taskId}:${a.attempt}:${a.lastBeat}`
      if (this.requeued.has(sent)) continue
      this.requeued.add(sent)
      log.info(`taking over ${a.taskId} after attempt ${a.attempt}: ${a.reason}`)
      board.addRequeue(a.taskId, { attempt: a.attempt, cause: a.cause, reason: a.reason, by: self.id, lastBeat: a.lastBeat })
    }

    if (this.running) this.checkStillWinner(derived)
    let next = this.cfg.idleTickMs
    if (this.pending) {
      const settleLeft = this.pending.settleAt - now
      if (settleLeft <= 0) this.settle(derived, tasks)
      else next = Math.min(next, settleLeft)
    }
    const profile = this.deps.profile()
    if (!this.running && !this.pending && profile.canWork && this.deps.slot.isFree()) {
      const me: Candidate = { id: self.id, roles: profile.roles, tokensPerSec: profile.tokensPerSec, load: profile.load, visible: profile.visible, available: true, capable: true }
      const { choice, wakeInMs } = chooseTask({
        derived,
        self: me,
        others: peers.map(peerCandidate),
        readySince: (t, k) => this.readySeen.get(this.key(t, k)) ?? now,
        now,
        delta: this.cfg.delta,
        reputation: computeReputation(derived.values(), this.deps.board.distrusted()),
      })
      if (choice && this.deps.slot.isFree()) {
        // Claim first, then go busy: peers get the claim before the busy presence it causes, so
        // nobody mistakes us for a busy node and claims the same task in our place.
        board.addClaim(choice.taskId, { node: self.id, name: self.name, attempt: choice.attempt })
        this.deps.slot.take(`${choice.taskId}:${choice.attempt}`)
        const settle = choice.contested ? this.cfg.settleMs : this.cfg.fastSettleMs
        this.pending = { taskId: choice.taskId, attempt: choice.attempt, settleAt: now + settle }
        next = Math.min(next, settle)
      } else if (wakeInMs !== null) next = Math.min(next, wakeInMs)
    }
    this.schedule(Math.max(10, next))
  }

  /** Remembers, on the local clock, when tasks became ready and when leases last beat. */
  private observe(derived: ReadonlyMap<string, DerivedTask>, now: number): void {
    for (const d of derived.values()) {
      const k = this.key(d.task.id, d.attempt)
      if ((d.status === 'ready' || d.contestable || d.outrankableBy) && !this.readySeen.has(k)) this.readySeen.set(k, now)
      if (d.status === 'running' || d.status === 'claimed') {
        const lease = [...d.task.leases.values()].find((l) => l.attempt === d.attempt && l.node === d.winner)
        const sig = d.status === 'running' ? `lease:${d.winner}:${lease?.beat}` : `claim:${d.winner}`
        const q = this.quiet.get(k)
        if (!q || q.sig !== sig) this.quiet.set(k, { sig, since: now })
      }
    }
  }

  private settle(derived: ReadonlyMap<string, DerivedTask>, tasks: readonly TaskSnapshot[]): void {
    const p = this.pending!
    this.pending = null
    const d = derived.get(p.taskId as never)
    // Another tab's claim-stale requeue of the attempt we won is refuted by the lease we write now.
    if (d && !d.superseded && d.attempt > p.attempt && d.authorized && refutableBy(d.authorized, p.attempt, this.deps.self.id)) {
      log.info(`leasing ${p.taskId} attempt ${p.attempt} although a requeue ended it: our lease refutes it`)
      this.start({ ...d, attempt: p.attempt, status: 'claimed', winner: this.deps.self.id }, tasks, derived)
      return
    }
    if (!d || d.status !== 'claimed' || d.attempt !== p.attempt || d.winner !== this.deps.self.id || d.superseded) {
      this.deps.slot.release()
      return
    }
    this.start(d, tasks, derived)
  }

  private checkStillWinner(derived: ReadonlyMap<string, DerivedTask>): void {
    const r = this.running!
    const d = derived.get(r.taskId as never)
    let lost: string | undefined
    // A requeue of our attempt by another tab, which our next beat refutes: what later attempts did then won't count.
    if (d && !d.superseded && d.attempt !== r.attempt && d.authorized && refutableBy(d.authorized, r.attempt, this.deps.self.id)) return
    if (!d || d.superseded) lost = 'the task was superseded'
    else if (d.attempt !== r.attempt) lost = `attempt ${r.attempt} was ended by another node`
    else if (isTerminal(d.status)) lost = 'the task already finished elsewhere'
    else if (d.winner && d.winner !== this.deps.self.id) lost = `node ${d.winner.slice(0, 8)} holds the lease`
    if (lost && !r.lostReason) {
      r.lostReason = lost
      log.info(`stopping ${r.taskId}: ${lost}`)
      r.abort.abort()
    }
  }

  /**
   * True (and the run stopped, its attempt ended by us) when this tab went
   * longer than lostLeaseAfterMs without beating: peers may already have
   * re-queued it, and nothing it produced may be written.
   */
  private checkLostTime(run: Running, now: number): boolean {
    if (run.lostReason) return true
    const gap = now - run.lastBeatAt
    if (gap <= lostLeaseAfterMs(this.cfg)) return false
    run.lostReason = `this tab could not renew its lease for ${Math.round(gap / 100) / 10} s (frozen or suspended)`
    log.warn(`stopping ${run.taskId} attempt ${run.attempt}: ${run.lostReason}`)
    run.abort.abort()
    // Idempotent: if a peer ended the attempt first, its record stays.
    this.deps.board.addRequeue(run.taskId as never, { attempt: run.attempt, cause: 'holder-lost', reason: run.lostReason, by: this.deps.self.id, lastBeat: run.beat })
    return true
  }

  private start(d: DerivedTask, tasks: readonly TaskSnapshot[], derived: ReadonlyMap<string, DerivedTask>): void {
    const { board, self, clock } = this.deps
    const task = d.task
    const run: Running = { taskId: task.id, attempt: d.attempt, abort: new AbortController(), beat: 0, lastBeatAt: clock.now() }
    this.running = run
    board.addLease(task.id, { node: self.id, name: self.name, attempt: d.attempt, beat: 0 })
    const beat = (): void => {
      if (this.running !== run || this.checkLostTime(run, clock.now())) return
      run.lastBeatAt = clock.now()
      run.beat++
      board.addLease(task.id, { node: self.id, name: self.name, attempt: d.attempt, beat: run.beat })
      cancelBeat = clock.setTimeout(beat, this.cfg.beatMs)
    }
    let cancelBeat = clock.setTimeout(beat, this.cfg.beatMs)
    const startedAt = clock.now()
    const resultKey = recordKey(d.attempt, self.id)
    let lastFlush = 0
    log.info(`running ${task.kind} ${task.id} (attempt ${d.attempt})`)
    runRole(buildRoleInput(d, tasks, derived), this.deps.inference, {
      signal: run.abort.signal,
      runId: `${task.id}-${d.attempt}`,
      onText: (text) => {
        const now = clock.now()
        if (now - lastFlush < this.cfg.partialFlushMs || this.running !== run) return
        lastFlush = now
        board.setPartial(task.id, d.attempt, self.id, text.slice(-20_000))
      },
      // A streamed plan: each step goes on the board the moment it is complete, so researchers start on it now.
      ...(task.kind === 'plan'
        ? {
            onPlanStep: ({ index, step }: StreamedStep) => {
              if (this.running !== run || run.lostReason || this.checkLostTime(run, clock.now())) return
              board.addNodes([planStepNode(task, resultKey, index, step, self, clock.now())])
            },
          }
        : {}),
    })
      .then((out) => {
        if (run.lostReason || this.checkLostTime(run, clock.now())) return
        const w = resultWrites(d, out, self, startedAt, clock.now(), tasks.find((t) => t.id === task.rootId)?.quorum ?? 1)
        board.addResult(task.id, w.result, w.children, w.requeue)
      })
      .catch((err: unknown) => {
        if (run.lostReason) return
        const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
        log.warn(`${task.kind} ${task.id} attempt ${d.attempt} failed: ${reason}`)
        board.addRequeue(task.id, { attempt: d.attempt, cause: 'error', reason: reason.slice(0, 1_000), by: self.id })
      })
      .finally(() => {
        cancelBeat()
        if (this.running === run) this.running = null
        this.deps.slot.release()
        this.schedule(0)
      })
  }
}
