/**
 * Pure scheduling policy: who may run a task, in what order nodes should try,
 * which task this node should claim now, and which claims/leases are dead.
 * The loop in swarm-scheduler.ts applies these; it decides nothing itself.
 */
import type { NodeId } from '../mesh/protocol'
import type { Role, TaskId } from '../board/dag-schema'
import { claimScore, type DerivedTask } from './derive'
import { lowTrustLast, mayVerify, type Reputation } from './reputation'

export interface Candidate {
  readonly id: NodeId
  readonly roles: readonly Role[]
  readonly tokensPerSec: number
  /** 0..1 */
  readonly load: number
  readonly visible: boolean
  /** Idle, not paused, engine ready: could start a task now. */
  readonly available: boolean
  /** In the swarm and able to take work at all (possibly busy right now). */
  readonly capable: boolean
}

/**
 * Who may run this task now. Verification goes to another node than the
 * producer whenever another verifier is in the swarm, even if it is busy at
 * the moment: waiting for it beats a node judging its own work.
 * Low-trust keys (reputation.ts) don't verify at all.
 */
export function eligibleCandidates(task: DerivedTask, candidates: readonly Candidate[], reputation?: Reputation): Candidate[] {
  const role = task.task.role
  if (!role) return []
  const trusted = (c: Candidate): boolean => task.task.kind !== 'verify' || !reputation || mayVerify(reputation, c.id)
  const withRole = candidates.filter((c) => c.roles.includes(role) && trusted(c))
  const producer = task.task.verifies?.producer
  const excludeProducer = producer !== undefined && withRole.some((c) => c.id !== producer && c.capable)
  const notProducer = withRole.filter((c) => c.available && !(excludeProducer && c.id === producer))
  // A quorum slot goes to a key that may fill it (quorum.ts), and a tiebreak to one that has not voted on the
  // result yet, whenever one can run it, even a busy one (as the producer waits for another verifier): only
  // in a room with nobody else left may an ineligible key or a voter decide it.
  const shunned = (c: Candidate): boolean => task.excluded?.(c.id) === true || task.avoid?.has(c.id) === true
  if (!withRole.some((c) => !shunned(c) && c.id !== producer && c.capable)) return notProducer
  return notProducer.filter((c) => !shunned(c))
}

/**
 * Best first: trusted keys before low-trust ones (reputation.ts), then
 * visible tabs (hidden ones are throttled), then measured speed
 * (log-bucketed so measurement noise doesn't decide), then lower load, then a
 * per-task hash so equal nodes share the work instead of one always winning.
 */
export function rankCandidates(task: DerivedTask, candidates: readonly Candidate[], reputation?: Reputation): Candidate[] {
  const speed = (c: Candidate): number => Math.round(Math.log2(1 + Math.max(0, c.tokensPerSec)) * 2)
  const trust = reputation ? lowTrustLast(reputation) : () => 0
  return [...candidates].sort(
    (a, b) =>
      trust(a.id, b.id) ||
      Number(b.visible) - Number(a.visible) ||
      speed(b) - speed(a) ||
      a.load - b.load ||
      claimScore(task.task.id, task.attempt, a.id) - claimScore(task.task.id, task.attempt, b.id) ||
      a.id.localeCompare(b.id),
  )
}

export interface ClaimChoice {
  readonly taskId: TaskId
  readonly attempt: number
  /**
   * A backup claim: the assigned node may be claiming this task right now,
   * so the scheduler settles for the full window. A node claiming its own
   * assignment settles briefly (the fast path): every node with the same
   * view gives the task to it and the others back it up only after their
   * delay, so only a claim sent on a view one network delay behind (stale
   * presence, a task not yet seen) can still collide.
   */
  readonly contested: boolean
}

export interface ChoiceInput {
  readonly derived: ReadonlyMap<TaskId, DerivedTask>
  readonly self: Candidate
  readonly others: readonly Candidate[]
  /** Local time this node first saw (task, attempt) ready. */
  readonly readySince: (taskId: TaskId, attempt: number) => number
  readonly now: number
  /** Backoff per rank: rank r waits r × delta before claiming. */
  readonly delta: number
  /** From the same board (reputation.ts): low-trust keys don't verify and rank last. */
  readonly reputation?: Reputation
}

/**
 * Rough relative cost of each kind of run, in the tokens small models write
 * for our prompts (the simulated engine's defaults, src/inference/sim/profile.ts).
 * Only the ordering of tasks depends on these, never correctness.
 */
const COST: Readonly<Record<string, number>> = { plan: 200, research: 250, verify: 40, synthesize: 400 }

/**
 * Highest level first, the classic list-scheduling rule: a task's level is
 * its own cost plus the longest chain of work that waits for it (a step's
 * dependents, then the synthesis). So a plan comes first, a verification that
 * unblocks other steps goes before research, research before the
 * verification of a step nothing else needs, and synthesis last, which with
 * many tasks lets the long final merges run side by side at the end. Ties:
 * older root, older task, id.
 */
export function taskPriority(derived: ReadonlyMap<TaskId, DerivedTask>): (a: DerivedTask, b: DerivedTask) => number {
  const dependents = new Map<TaskId, TaskId[]>()
  for (const d of derived.values()) {
    if (d.superseded) continue
    for (const dep of d.task.deps) {
      const list = dependents.get(dep)
      if (list) list.push(d.task.id)
      else dependents.set(dep, [d.task.id])
    }
  }
  const memo = new Map<TaskId, number>()
  // Longest chain of work waiting on step `id` once it is done; peers write deps, so depth is capped.
  const after = (id: TaskId, depth: number): number => {
    const known = memo.get(id)
    if (known !== undefined) return known
    if (depth > 32) return 0
    let best = 0
    for (const next of dependents.get(id) ?? []) {
      const t = derived.get(next)?.task
      if (!t) continue
      const own = t.kind === 'research' ? COST.research! + COST.verify! : (COST[t.kind] ?? 0)
      best = Math.max(best, own + after(next, depth + 1))
    }
    memo.set(id, best)
    return best
  }
  const level = (d: DerivedTask): number => {
    switch (d.task.kind) {
      case 'plan':
        return COST.plan! + COST.research! + COST.verify! + COST.synthesize!
      case 'research':
        return COST.research! + COST.verify! + after(d.task.id, 0)
      case 'verify':
        return COST.verify! + (d.task.verifies ? after(d.task.verifies.taskId, 0) : 0)
      default:
        return (COST[d.task.kind] ?? 0) + after(d.task.id, 0)
    }
  }
  const levels = new Map<TaskId, number>()
  const levelOf = (d: DerivedTask): number => {
    let l = levels.get(d.task.id)
    if (l === undefined) levels.set(d.task.id, (l = level(d)))
    return l
  }
  const rootAge = (d: DerivedTask): number => derived.get(d.task.rootId)?.task.createdAt ?? d.task.createdAt
  return (a, b) => levelOf(b) - levelOf(a) || rootAge(a) - rootAge(b) || a.task.createdAt - b.task.createdAt || a.task.id.localeCompare(b.task.id)
}

/**
 * The task this node should claim now, and when to look again if none is due yet.
 *
 * Every node computes the same assignment from the same view: ready tasks in
 * priority order, each to its best-ranked eligible idle node not already given
 * an earlier task. A node claims its own assignment at once; nobody waits
 * behind a node that is about to take something else. For every other task,
 * this node's place r among the still unassigned candidates makes it a
 * backup that claims after r × delta, in case the assigned node doesn't
 * (its view differs, or it is gone).
 */
export function chooseTask(input: ChoiceInput): { choice: ClaimChoice | null; wakeInMs: number | null } {
  let wake: number | null = null
  // A contestable task held by a node without presence (a tab that writes but never shows itself, or one
  // that left) is open to claims too: one key must not hold a task by claiming every attempt first.
  const present = new Set(input.others.map((c) => c.id))
  const open = (d: DerivedTask): boolean =>
    d.status === 'ready' || (d.contestable === true && d.winner !== input.self.id && !present.has(d.winner!)) || (d.outrankableBy?.has(input.self.id) === true && d.winner !== input.self.id)
  const ready = [...input.derived.values()].filter((d) => open(d) && !d.superseded && d.task.role)
  ready.sort(taskPriority(input.derived))
  const everyone = [input.self, ...input.others]
  const assigned = new Set<string>()
  let backup: { d: DerivedTask; contested: boolean } | null = null
  for (const d of ready) {
    const eligible = eligibleCandidates(d, everyone, input.reputation)
    const ranked = rankCandidates(d, eligible, input.reputation).filter((c) => !assigned.has(c.id))
    const first = ranked[0]
    if (!first) continue
    assigned.add(first.id)
    // Our own assignment is uncontested: every node with our view gives this task to us, and the
    // others back it up only after their delay, so only a view one network delay behind can collide.
    if (first.id === input.self.id) return { choice: { taskId: d.task.id, attempt: d.attempt, contested: false }, wakeInMs: null }
    const rank = ranked.findIndex((c) => c.id === input.self.id)
    if (rank < 0 || backup) continue
    const at = input.readySince(d.task.id, d.attempt) + rank * input.delta
    // A backup claim races the assigned node, which may be claiming this very moment.
    if (at <= input.now) backup = { d, contested: true }
    else wake = Math.min(wake ?? Infinity, at - input.now)
  }
  if (backup) return { choice: { taskId: backup.d.task.id, attempt: backup.d.attempt, contested: backup.contested }, wakeInMs: null }
  return { choice: null, wakeInMs: wake }
}

export interface LivenessInput {
  readonly derived: ReadonlyMap<TaskId, DerivedTask>
  readonly selfId: NodeId
  /** Is this (other) node connected to us now? */
  readonly isAlive: (node: NodeId) => boolean
  /** (task, attempt) this instance is working on or settling a claim for. */
  readonly isMine: (taskId: TaskId, attempt: number) => boolean
  /** Local time the winner's lease beat last changed (or the claim was first seen). */
  readonly quietSince: (taskId: TaskId, attempt: number) => number
  readonly now: number
  readonly leaseTimeoutMs: number
  readonly claimTimeoutMs: number
}

export interface Abandoned {
  readonly taskId: TaskId
  readonly attempt: number
  readonly cause: 'holder-lost' | 'claim-stale'
  readonly reason: string
  /** The winner's last beat this node saw (-1: no lease): a later beat refutes the requeue (authorize.ts). */
  readonly lastBeat: number
}

/** Claims and leases whose holder is gone: their attempt ends so someone else can take the task over. */
export function findAbandoned(input: LivenessInput): Abandoned[] {
  const out: Abandoned[] = []
  for (const d of input.derived.values()) {
    if ((d.status !== 'running' && d.status !== 'claimed') || d.superseded || !d.winner) continue
    const { id } = d.task
    const running = d.status === 'running'
    const cause = running ? 'holder-lost' : 'claim-stale'
    const holder = d.winner
    const lease = [...d.task.leases.values()].find((l) => l.attempt === d.attempt && l.node === holder)
    const lastBeat = lease?.beat ?? -1
    if (holder === input.selfId) {
      // Ours on the board but not in this instance: the tab reloaded or crashed mid-task.
      if (!input.isMine(id, d.attempt)) out.push({ taskId: id, attempt: d.attempt, cause, reason: 'its node restarted before finishing', lastBeat })
      continue
    }
    if (!input.isAlive(holder)) {
      // A contestable holder that is gone, or one the root does not list while a listed key is here, is
      // outranked by the next claim (chooseTask offers it): no attempt burned.
      const outranked = d.outrankableBy !== undefined && [...d.outrankableBy].some((n) => n !== holder && (n === input.selfId || input.isAlive(n)))
      if (!d.contestable && !outranked) out.push({ taskId: id, attempt: d.attempt, cause, reason: `node ${holder.slice(0, 8)} left the swarm`, lastBeat })
    }
    else if (input.now - input.quietSince(id, d.attempt) > (running ? input.leaseTimeoutMs : input.claimTimeoutMs)) {
      out.push({ taskId: id, attempt: d.attempt, cause, reason: running ? `the lease of ${holder.slice(0, 8)} expired` : `the claim of ${holder.slice(0, 8)} was never started`, lastBeat })
    }
  }
  return out
}
