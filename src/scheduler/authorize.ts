/**
 * Authorization: which of a task's records count. Anyone in a room can write
 * validly signed records under their own key; the board (src/board) only
 * guarantees that a record's node field is its signer. What a signer was
 * *allowed* to write is decided here, purely from the records every replica
 * holds, so every replica reaches the same verdict whatever order they came in.
 *
 * Per task, attempt by attempt (k = 1, 2, …):
 *  - the winner of k: among the nodes with a claim or lease for k, best first:
 *    a key the root's submitter had seen (the root lists them: a key made
 *    later cannot take over), then not the producer a verify task judges,
 *    then not a winner of an earlier ended attempt of this task (it had its
 *    turn), then holding a lease (it started), then the lowest claimScore,
 *    then the id;
 *  - a result counts only from the winner of an attempt that was opened
 *    (k ≤ the current attempt), and only complete: a research result with the
 *    verify node it creates, a plan result with its synthesis node, a verdict
 *    with a pass/fail;
 *  - a requeue ends k only when its cause is borne out by the records:
 *      error                 written by the winner of k, which has no counted result for k;
 *      holder-lost, claim-stale  k has a winner without a counted result for k, and the
 *                            winner's newest beat is exactly the requeue's lastBeat
 *                            (-1 or missing: the winner has no lease at all);
 *      verification-failed   never by itself: the winner's result for k failed by its
 *                            verification quorum (quorum.ts) ends k, record or not;
 *  - the current attempt is the first one no counted requeue ends; of several
 *    requeues that count for k, the one with the lowest signer id is k's end
 *    (its reason is what a failed task shows);
 *  - the task gives up once maxAttempts attempts failed (error,
 *    verification-failed), or once maxAttempts + CHURN_ALLOWANCE attempts
 *    ended in all: an attempt whose holder left or froze (holder-lost,
 *    claim-stale) says nothing about the task, so churn alone fails it only
 *    much later (a task that crashes every tab that runs it still ends).
 * What this cannot stop, a key can still do to the attempts it wins: end them
 * (at most once per attempt it wins; it is then passed over while anyone else
 * claims), or hold one by beating forever without a result.
 */
import type { NodeId } from '../mesh/protocol'
import { recordKey, type Claim, type Lease, type Requeue, type TaskId, type TaskResult, type TaskSnapshot } from '../board/dag-schema'

export interface Accepted {
  readonly key: string
  readonly result: TaskResult
}

/**
 * Attempts ended by churn (a holder left or froze) that a task gets on top of
 * maxAttempts. A busy machine freezes tabs for seconds at a time, and each
 * freeze ends the attempt that tab held; measured on 6 tabs sharing 2 cores,
 * one plan lost all 3 of its attempts that way with no tab of the swarm gone.
 */
export const CHURN_ALLOWANCE = 6

/** The most attempts a task can have: its own failures are capped lower (maxAttempts), see authorizeAttempts. */
export function attemptLimit(task: Pick<TaskSnapshot, 'maxAttempts'>): number {
  return task.maxAttempts + CHURN_ALLOWANCE
}

export interface AttemptView {
  /** The attempt now open: the first one no counted requeue ends (one past the last ended attempt once the task gave up). */
  readonly current: number
  /** The task ran out of attempts: maxAttempts of them failed, or attemptLimit ended in all. */
  readonly gaveUp: boolean
  /** Ended attempts that failed by the task's own doing (error, verification-failed), not by churn. */
  readonly failures: number
  /** winners[k - 1]: the winner of attempt k, for every opened attempt k ≤ current (and ≤ attemptLimit). */
  readonly winners: readonly (NodeId | undefined)[]
  /** ended[k - 1]: the counted requeue that ended attempt k (deterministic choice among those that count). */
  readonly ended: readonly Requeue[]
  /** Results that count, lowest attempt first (at most one per attempt). */
  readonly results: readonly Accepted[]
  /** The verifier's reason from the latest attempt a fail verdict ended: handed to the next attempt. */
  readonly feedback?: string
}

/** FNV-1a: a stable, well-spread number every replica computes identically. */
export function claimScore(taskId: string, attempt: number, node: string): number {
  let h = 0x811c9dc5
  const s = `${taskId}:${attempt}:${node}`
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

export interface WinnerRules {
  /** Ranked last: the producer a verify task judges (it must not judge its own work where anyone else will). */
  readonly producer?: NodeId
  /** Ranked after everyone else: winners of this task's earlier, ended attempts. */
  readonly passedOver?: ReadonlySet<NodeId>
  /**
   * Rank after everyone else (a quorum slot's ineligible keys, quorum.ts):
   * any eligible claimant outranks them, even one that claims after they
   * finished, so they decide a slot only where nobody eligible is left.
   */
  readonly excluded?: (node: NodeId) => boolean
  /**
   * The keys the root's submitter had seen when it created the task: they
   * outrank everyone else, so keys made afterwards (a Sybil grinding for a low
   * claim hash) cannot take over an attempt a member runs or finished.
   */
  readonly members?: ReadonlySet<NodeId>
}

/**
 * The winner of attempt k. A claim-and-never-lease or lease-and-never-beat
 * node ends its own attempt through the liveness rules and is then passed
 * over for later attempts as soon as anyone else claims them, so one key
 * cannot hold a task by winning every attempt.
 */
export function pickWinner(taskId: TaskId, attempt: number, claims: Iterable<Claim>, leases: Iterable<Lease>, rules: WinnerRules = {}): NodeId | undefined {
  const leased = new Set<NodeId>()
  const pool = new Set<NodeId>()
  for (const l of leases) if (l.attempt === attempt) leased.add(l.node), pool.add(l.node)
  for (const c of claims) if (c.attempt === attempt) pool.add(c.node)
  const tier = (n: NodeId): number =>
    (rules.excluded?.(n) ? 32 : 0) + (rules.members && !rules.members.has(n) ? 16 : 0) + (n === rules.producer ? 8 : 0) + (rules.passedOver?.has(n) ? 4 : 0) + (leased.has(n) ? 0 : 1)
  let best: { node: NodeId; tier: number; score: number } | undefined
  for (const node of pool) {
    const t = tier(node)
    const score = claimScore(taskId, attempt, node)
    // Plain comparison of ids on a tie, never localeCompare: every replica must order alike.
    if (!best || t < best.tier || (t === best.tier && (score < best.score || (score === best.score && node < best.node)))) best = { node, tier: t, score }
  }
  return best?.node
}

/** What authorization needs from the rest of the board, besides the task's own records. */
export interface BoardLookup {
  /** Whether every verify slot a research result needs is on the board (its producer writes them with it). */
  readonly verificationComplete: (task: TaskSnapshot, resultKey: string) => boolean
  /** Whether the synthesis node a plan result creates is on the board (well-formed). */
  readonly hasSynthesis: (plan: TaskSnapshot, resultKey: string) => boolean
  /** The verdict that failed a research result, once its quorum failed it (quorum.ts). */
  readonly verificationFailure: (task: TaskSnapshot, resultKey: string) => { readonly reason: string; readonly by: NodeId; readonly name: string } | undefined
  /** For a verify node: who may not fill its quorum slot (undefined: no one is excluded beyond the producer's rank). */
  readonly excludedVerifiers: (verify: TaskSnapshot) => ((node: NodeId) => boolean) | undefined
  /** The keys the task's root lists as seen by its submitter, if it lists any. */
  readonly membersOf: (task: TaskSnapshot) => ReadonlySet<NodeId> | undefined
}

function isComplete(task: TaskSnapshot, key: string, result: TaskResult, board: BoardLookup): boolean {
  switch (task.kind) {
    case 'research':
      return board.verificationComplete(task, key)
    case 'plan':
      return board.hasSynthesis(task, key)
    case 'verify':
      return result.verdict === 'pass' || result.verdict === 'fail'
    default:
      return true
  }
}

function requeueCounts(task: TaskSnapshot, q: Requeue, winner: NodeId | undefined, hasResult: boolean): boolean {
  switch (q.cause) {
    case 'error':
      return winner !== undefined && q.by === winner && !hasResult
    case 'holder-lost':
    case 'claim-stale': {
      if (winner === undefined || hasResult) return false
      // Exactly the winner's newest beat: a later one refutes the requeue, and a beat the
      // winner never wrote is no evidence (until it writes it: then its next beat refutes it).
      const lease = task.leases.get(recordKey(q.attempt, winner))
      const beat = lease && lease.node === winner && lease.attempt === q.attempt ? lease.beat : -1
      return beat === (q.lastBeat ?? -1)
    }
    case 'verification-failed':
      // Only a counted fail verdict ends an attempt (authorizeAttempts); a bare claim of one does not.
      return false
  }
}

/** The attempts of one task as its records authorize them. */
export function authorizeAttempts(task: TaskSnapshot, board: BoardLookup): AttemptView {
  const passedOver = new Set<NodeId>()
  const winners: (NodeId | undefined)[] = []
  const ended: Requeue[] = []
  const results: Accepted[] = []
  const requeues = [...task.requeues.values()]
  let feedback: string | undefined
  const excluded = task.kind === 'verify' ? board.excludedVerifiers(task) : undefined
  const members = board.membersOf(task)
  let failures = 0
  let gaveUp = false
  const limit = attemptLimit(task)
  let k = 1
  for (; k <= limit; k++) {
    const winner = pickWinner(task.id, k, task.claims.values(), task.leases.values(), {
      ...(task.verifies ? { producer: task.verifies.producer } : {}),
      passedOver,
      ...(excluded ? { excluded } : {}),
      ...(members ? { members } : {}),
    })
    winners.push(winner)
    const key = winner ? recordKey(k, winner) : undefined
    const result = key ? task.results.get(key) : undefined
    const counted = key !== undefined && result !== undefined && result.attempt === k && isComplete(task, key, result, board)
    if (counted) results.push({ key, result })
    const failed = counted && task.kind === 'research' ? board.verificationFailure(task, key) : undefined
    let ends: Requeue | undefined
    if (failed) {
      // The verdicts are the evidence: they end the attempt whether or not a requeue record came with them.
      ends = { attempt: k, cause: 'verification-failed', reason: `rejected by ${failed.name}: ${failed.reason}`, feedback: failed.reason, by: failed.by }
      feedback = failed.reason
    } else {
      // Deterministic whoever's record arrived first: the lowest signer among those that count.
      for (const q of requeues) if (q.attempt === k && requeueCounts(task, q, winner, counted) && (!ends || q.by < ends.by)) ends = q
    }
    if (!ends) break
    ended.push(ends)
    if (winner) passedOver.add(winner)
    if (ends.cause === 'error' || ends.cause === 'verification-failed') failures++
    if (failures >= task.maxAttempts || k === limit) {
      gaveUp = true
      k++
      break
    }
  }
  return { current: k, gaveUp, failures, winners, ended, results, ...(feedback ? { feedback } : {}) }
}

/**
 * Whether `node`'s own next lease or beat reopens attempt k: k was ended by a
 * liveness requeue someone else wrote while `node` won it. A live holder (or a
 * claimant about to lease) keeps going then, instead of obeying a requeue its
 * next beat refutes: a hostile tab cannot end a live attempt by writing one.
 */
export function refutableBy(view: AttemptView, attempt: number, node: NodeId): boolean {
  const q = view.ended[attempt - 1]
  return q !== undefined && view.winners[attempt - 1] === node && q.by !== node && (q.cause === 'holder-lost' || q.cause === 'claim-stale')
}
