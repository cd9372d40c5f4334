/**
 * Pure derivation of every task's status from the board's records. Every
 * replica runs this on the records it has; the same records always give the
 * same statuses, claim winners and accepted results (invariant 2), whatever
 * order they arrived in.
 *
 * Which records count at all (a result only from its attempt's winner, a
 * requeue only when the records bear out its cause, …) is decided in
 * authorize.ts. On top of that:
 *  - the current attempt is the first one no counted requeue ended; when
 *    attempts run out (authorize.ts: maxAttempts failures, or more attempts in
 *    all where holders left or froze) → failed;
 *  - the accepted result: the counted result of the lowest attempt. For
 *    research only one whose verification passed, by a verifier that is not
 *    its producer, counts as "passed"; one whose verification failed for good,
 *    or that only its producer passed (a tab alone in its room), is accepted
 *    as "unverified";
 *  - a child node (a plan's steps and synthesis, a result's verification)
 *    counts only when it fits the result its origin names (same root, written
 *    by that result's node, the right kind; a verify node judges exactly that
 *    result) and that result counts: for plans, the accepted result, or, before
 *    the plan has one, the live attempt's winner while it streams its steps
 *    (see countsUnder). Anything else is superseded: a duplicate after a
 *    partition healed, or a hostile writer's node hung off nothing.
 */
import type { NodeId } from '../mesh/protocol'
import { recordKey, type TaskId, type TaskResult, type TaskSnapshot } from '../board/dag-schema'
import { authorizeAttempts, type Accepted, type AttemptView, type BoardLookup } from './authorize'
import { mayFillSlot, quorumOf, quorumOutcome, slotOf, tiebreakNeeded, type QuorumOutcome, type SlotView } from './quorum'

export { claimScore, pickWinner, refutableBy, type Accepted, type AttemptView } from './authorize'

export const TaskStatus = {
  pending: 'pending',
  ready: 'ready',
  claimed: 'claimed',
  running: 'running',
  verifying: 'verifying',
  done: 'done',
  failed: 'failed',
} as const
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus]

export interface DerivedTask {
  readonly task: TaskSnapshot
  readonly status: TaskStatus
  /** The attempt now open (or the last one, once terminal). */
  readonly attempt: number
  readonly superseded: boolean
  readonly winner?: NodeId
  readonly accepted?: Accepted
  readonly verification?: 'passed' | 'unverified'
  readonly failure?: string
  /** Latest verifier feedback, handed to the next attempt. */
  readonly feedback?: string
  /** Winners and ends of every attempt so far (authorize.ts); absent on roots and cycles. */
  readonly authorized?: AttemptView
  /**
   * Claimed or running by a winner that already had an earlier, ended attempt
   * of this task: anyone else's claim outranks it (authorize.ts), so others may
   * claim it instead of waiting for it to go stale once more.
   */
  readonly contestable?: true
  /**
   * Claimed or running by a key its root does not list while it lists others:
   * any listed key's claim outranks it (authorize.ts), so they may claim it
   * at once instead of waiting for that key to run or go stale.
   */
  readonly outrankableBy?: ReadonlySet<NodeId>
  /** Verify nodes under a quorum: keys that may not fill this slot (quorum.ts); the policy leaves them out. */
  readonly excluded?: (node: NodeId) => boolean
  /** A tiebreak slot: keys that already voted on the result; the policy prefers anyone else. */
  readonly avoid?: ReadonlySet<string>
}

export function isTerminal(status: TaskStatus): boolean {
  return status === 'done' || status === 'failed'
}

/** `${attempt}:${node}` → its parts, or undefined when it is not a record key. */
export function parseResultKey(key: string): { attempt: number; node: NodeId } | undefined {
  const colon = key.indexOf(':')
  const attempt = Number(key.slice(0, colon))
  if (colon < 1 || !Number.isInteger(attempt) || attempt < 1 || key.slice(0, colon) !== String(attempt)) return undefined
  return { attempt, node: key.slice(colon + 1) as NodeId }
}

/**
 * Whether `child` is a node the result `resultKey` of `parent` can create:
 * same root, written by that result's node, a kind that result creates, and
 * for a verify node, judging exactly that result.
 */
export function fitsOrigin(child: TaskSnapshot, parent: TaskSnapshot, resultKey: string): boolean {
  const key = parseResultKey(resultKey)
  if (!key || child.rootId !== parent.rootId || child.createdBy !== key.node) return false
  if (parent.kind === 'plan') return child.kind === 'research' || child.kind === 'synthesize'
  if (parent.kind !== 'research' || child.kind !== 'verify') return false
  const v = child.verifies
  return v !== undefined && v.taskId === parent.id && v.resultKey === resultKey && v.attempt === key.attempt && v.producer === key.node
}

/** The board as derivation sees it: tasks by id, children by origin, and each task's authorized attempts (memoized). */
class BoardIndex implements BoardLookup {
  readonly byId: ReadonlyMap<TaskId, TaskSnapshot>
  private readonly children = new Map<string, TaskSnapshot[]>()
  /** childrenOf, memoized: origin → the children that fit it. */
  private readonly fitting = new Map<string, readonly TaskSnapshot[]>()
  private readonly attempts = new Map<TaskId, AttemptView>()
  private readonly slots = new Map<string, ReadonlyMap<number, TaskSnapshot>>()
  private readonly members = new Map<TaskId, ReadonlySet<NodeId>>()

  constructor(readonly tasks: readonly TaskSnapshot[]) {
    this.byId = new Map(tasks.map((t) => [t.id, t]))
    for (const t of tasks) if (t.origin) push(this.children, t.origin, t)
    for (const list of this.children.values()) list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  /** Nodes that name `${parent.id}/${resultKey}` as their origin and fit it, lowest id first. */
  childrenOf(parent: TaskSnapshot, resultKey: string): readonly TaskSnapshot[] {
    const origin = originOf(parent.id, resultKey)
    let list = this.fitting.get(origin)
    if (!list) this.fitting.set(origin, (list = (this.children.get(origin) ?? []).filter((c) => fitsOrigin(c, parent, resultKey))))
    return list
  }

  /** The verify node of each quorum slot of a result (slots 1..k, and k + 1 for the tiebreak when k ≥ 2; lowest id per slot). */
  verifySlots(task: TaskSnapshot, resultKey: string): ReadonlyMap<number, TaskSnapshot> {
    const origin = originOf(task.id, resultKey)
    const known = this.slots.get(origin)
    if (known) return known
    const k = quorumOf(this.byId.get(task.rootId))
    const last = k >= 2 ? k + 1 : 1
    const slots = new Map<number, TaskSnapshot>()
    for (const c of this.childrenOf(task, resultKey)) {
      const slot = c.kind === 'verify' ? slotOf(c) : 0
      if (slot >= 1 && slot <= last && !slots.has(slot)) slots.set(slot, c)
    }
    this.slots.set(origin, slots)
    return slots
  }

  verifyNodeOf(task: TaskSnapshot, resultKey: string): TaskSnapshot | undefined {
    return this.verifySlots(task, resultKey).get(1)
  }

  verificationComplete(task: TaskSnapshot, resultKey: string): boolean {
    const k = quorumOf(this.byId.get(task.rootId))
    return this.verifySlots(task, resultKey).size === (k >= 2 ? k + 1 : 1)
  }

  hasSynthesis(plan: TaskSnapshot, resultKey: string): boolean {
    return this.childrenOf(plan, resultKey).some((c) => c.kind === 'synthesize')
  }

  verdictOf(verify: TaskSnapshot): TaskResult | undefined {
    return this.attemptsOf(verify).results[0]?.result
  }

  /** One slot as the quorum sees it: its counted verdict, or whether its attempts ran out. */
  private slotView(verify: TaskSnapshot, slot: number, k: number): SlotView {
    const verdict = this.verdictOf(verify)
    const signer = verdict?.provenance.node
    if (verdict?.verdict === 'fail') return { slot, state: 'fail', reason: verdict.reason ?? 'no reason given', ...(signer ? { signer } : {}) }
    // A producer's own pass is no check at all: it leaves the result unverified (a lone tab still finishes).
    if (verdict?.verdict === 'pass') return { slot, state: signer === verify.verifies?.producer ? 'gave-up' : 'pass', ...(signer ? { signer } : {}) }
    return { slot, state: this.attemptsOf(verify).gaveUp ? 'gave-up' : 'open' }
  }

  quorumOutcomeOf(task: TaskSnapshot, resultKey: string): QuorumOutcome {
    const k = quorumOf(this.byId.get(task.rootId))
    const views = [...this.verifySlots(task, resultKey)].map(([slot, v]) => this.slotView(v, slot, k))
    return quorumOutcome(k, views)
  }

  /** Whether the tiebreak slot of this result has anything to decide (it waits until the first k disagree). */
  tiebreakOpen(verify: TaskSnapshot): boolean {
    const v = verify.verifies
    const target = v && this.byId.get(v.taskId)
    if (!v || !target) return false
    const k = quorumOf(this.byId.get(target.rootId))
    if (k < 2 || slotOf(verify) !== k + 1) return true
    const views = [...this.verifySlots(target, v.resultKey)].filter(([slot]) => slot <= k).map(([slot, n]) => this.slotView(n, slot, k))
    return tiebreakNeeded(k, views)
  }

  verificationFailure(task: TaskSnapshot, resultKey: string): { reason: string; by: NodeId; name: string } | undefined {
    const outcome = this.quorumOutcomeOf(task, resultKey)
    if (outcome.state !== 'failed') return undefined
    // Name the first failing slot's verifier (the lowest slot: the same on every replica).
    for (const [, v] of [...this.verifySlots(task, resultKey)].sort(([a], [b]) => a - b)) {
      const verdict = this.verdictOf(v)
      if (verdict?.verdict === 'fail') return { reason: outcome.feedback ?? verdict.reason ?? 'no reason given', by: verdict.provenance.node, name: verdict.provenance.name }
    }
    return undefined
  }

  membersOf(task: TaskSnapshot): ReadonlySet<NodeId> | undefined {
    const root = this.byId.get(task.rootId)
    if (!root?.verifiers || root.verifiers.length === 0) return undefined
    let set = this.members.get(root.id)
    if (!set) this.members.set(root.id, (set = new Set(root.verifiers)))
    return set
  }

  /** The keys that decided the lower slots of the same result (one key, one vote). */
  private lowerSlotSigners(verify: TaskSnapshot, target: TaskSnapshot): Set<string> {
    const v = verify.verifies!
    const mine = slotOf(verify)
    const lower = new Set<string>()
    for (const [slot, other] of this.verifySlots(target, v.resultKey)) {
      if (slot >= mine) continue
      const verdict = this.verdictOf(other)
      if (verdict) lower.add(verdict.provenance.node)
    }
    return lower
  }

  /**
   * Who may not fill a quorum slot: with k ≥ 2, the producer, keys that
   * decided a lower main slot of the same result (one key, one vote), and
   * keys the submitter had not seen (quorum.ts, mayFillSlot). The tiebreak
   * slot only bars the producer (and unseen keys): in a room of k + 1 tabs
   * nobody else is left to break a tie, so a voter may, though the policy
   * gives it to a fresh key whenever one can run it (avoidedVerifiers).
   * With one verifier no one is excluded: the producer only ranks last, so a
   * lone tab still finishes.
   */
  excludedVerifiers(verify: TaskSnapshot): ((node: NodeId) => boolean) | undefined {
    const v = verify.verifies
    const target = v && this.byId.get(v.taskId)
    if (!v || !target) return undefined
    const root = this.byId.get(target.rootId)
    const k = quorumOf(root)
    if (k < 2) return undefined
    const lower = slotOf(verify) > k ? new Set<string>() : this.lowerSlotSigners(verify, target)
    return (node) => !mayFillSlot(node, v.producer, lower, root)
  }

  /** For a tiebreak slot: the keys that already voted on the result; the policy leaves them out while anyone else can run it. */
  avoidedVerifiers(verify: TaskSnapshot): ReadonlySet<string> | undefined {
    const v = verify.verifies
    const target = v && this.byId.get(v.taskId)
    if (!v || !target) return undefined
    const k = quorumOf(this.byId.get(target.rootId))
    return k >= 2 && slotOf(verify) > k ? this.lowerSlotSigners(verify, target) : undefined
  }

  /** A verify node looks up only the verdicts of lower slots of the same result, so this recursion is bounded. */
  attemptsOf(task: TaskSnapshot): AttemptView {
    let view = this.attempts.get(task.id)
    if (!view) this.attempts.set(task.id, (view = authorizeAttempts(task, this)))
    return view
  }
}

export function deriveBoard(tasks: readonly TaskSnapshot[]): Map<TaskId, DerivedTask> {
  const board = new BoardIndex(tasks)
  const { byId } = board
  // What each task's status is computed from. Peers can write any deps, so cycles are found
  // up front and failed outright; everything else is then a DAG and derives in one pass.
  const inputs = new Map<TaskId, TaskId[]>()
  for (const t of tasks) {
    const from: TaskId[] = [...t.deps.filter((d) => byId.has(d))]
    if (t.kind === 'research') for (const key of t.results.keys()) for (const v of board.childrenOf(t, key)) from.push(v.id)
    if (t.kind === 'root') {
      const plan = planOf(t, byId)
      if (plan) {
        from.push(plan.id)
        for (const key of plan.results.keys()) for (const c of board.childrenOf(plan, key)) if (c.kind === 'synthesize') from.push(c.id)
      }
    }
    inputs.set(t.id, from)
  }
  const cyclic = nodesOnCycles(inputs)
  const superseded = supersededTasks(board)
  const out = new Map<TaskId, DerivedTask>()

  const derive = (task: TaskSnapshot): DerivedTask => {
    const known = out.get(task.id)
    if (known) return known
    const result = cyclic.has(task.id)
      ? { task, status: 'failed' as const, attempt: 1, superseded: superseded.has(task.id), failure: 'dependency cycle' }
      : task.kind === 'root'
        ? deriveRoot(task, board, superseded.has(task.id), derive)
        : deriveTask(task, superseded.has(task.id), board, derive)
    out.set(task.id, result)
    return result
  }
  for (const t of tasks) derive(t)
  return out
}

function deriveTask(task: TaskSnapshot, superseded: boolean, board: BoardIndex, derive: (t: TaskSnapshot) => DerivedTask): DerivedTask {
  const view = board.attemptsOf(task)
  const attempt = view.current
  const excluded = task.kind === 'verify' ? board.excludedVerifiers(task) : undefined
  const avoid = task.kind === 'verify' ? board.avoidedVerifiers(task) : undefined
  const base = { task, attempt, superseded, authorized: view, ...(view.feedback ? { feedback: view.feedback } : {}), ...(excluded ? { excluded } : {}), ...(avoid && avoid.size > 0 ? { avoid } : {}) }
  const accepted = acceptedResult(task, view, board)
  if (accepted) return { ...base, status: 'done', accepted: accepted.accepted, ...(accepted.verification ? { verification: accepted.verification } : {}) }
  if (view.gaveUp) {
    const last = view.ended[view.ended.length - 1]
    return { ...base, attempt: view.ended.length, status: 'failed', failure: `gave up after ${view.ended.length} attempts: ${last?.reason ?? 'unknown'}` }
  }
  const winner = view.winners[attempt - 1]
  // A tiebreak slot waits until the first k verifiers disagree (quorum.ts).
  if (!winner && task.kind === 'verify' && !board.tiebreakOpen(task)) return { ...base, status: 'pending' }
  if (!winner) {
    const depsDone = task.deps.every((d) => {
      const dep = board.byId.get(d)
      return dep !== undefined && isTerminal(derive(dep).status)
    })
    return { ...base, status: depsDone ? 'ready' : 'pending' }
  }
  const withWinner = { ...base, winner }
  if (task.kind === 'research' && view.results.some((r) => r.result.attempt === attempt)) return { ...withWinner, status: 'verifying' }
  const lease = task.leases.get(recordKey(attempt, winner))
  const contestable = view.winners.slice(0, attempt - 1).includes(winner) ? { contestable: true as const } : {}
  const members = board.membersOf(task)
  const outrankable = members && !members.has(winner) ? { outrankableBy: members } : {}
  return { ...withWinner, ...contestable, ...outrankable, status: lease && lease.attempt === attempt && lease.node === winner ? 'running' : 'claimed' }
}

/** Tarjan's strongly connected components, iteratively (inputs are untrusted and may be deep). */
function nodesOnCycles(inputs: ReadonlyMap<TaskId, readonly TaskId[]>): Set<TaskId> {
  const index = new Map<TaskId, number>()
  const low = new Map<TaskId, number>()
  const onStack = new Set<TaskId>()
  const stack: TaskId[] = []
  const cyclic = new Set<TaskId>()
  let counter = 0
  for (const start of inputs.keys()) {
    if (index.has(start)) continue
    const work: { node: TaskId; next: number }[] = [{ node: start, next: 0 }]
    index.set(start, counter)
    low.set(start, counter++)
    stack.push(start)
    onStack.add(start)
    while (work.length > 0) {
      const frame = work[work.length - 1]!
      const edges = inputs.get(frame.node) ?? []
      if (frame.next < edges.length) {
        const to = edges[frame.next++]!
        if (!index.has(to)) {
          index.set(to, counter)
          low.set(to, counter++)
          stack.push(to)
          onStack.add(to)
          work.push({ node: to, next: 0 })
        } else if (onStack.has(to)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!))
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!))
      if (low.get(frame.node) !== index.get(frame.node)) continue
      const component: TaskId[] = []
      let member: TaskId
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(member)
      } while (member !== frame.node)
      const selfLoop = component.length === 1 && (inputs.get(frame.node) ?? []).includes(frame.node)
      if (component.length > 1 || selfLoop) for (const c of component) cyclic.add(c)
    }
  }
  return cyclic
}

/**
 * Top-down: a node is superseded when it does not fit the result its origin
 * names, when that result does not count (see countsUnder), or when its
 * parent is superseded. Plans and roots have no origin. Children without an
 * origin are left to the board, which rejects them (signed-board contract).
 */
function supersededTasks(board: BoardIndex): Set<TaskId> {
  const memo = new Map<TaskId, boolean>()
  const visit = (task: TaskSnapshot, depth: number): boolean => {
    const known = memo.get(task.id)
    if (known !== undefined) return known
    let result = false
    if (task.origin) {
      const [parentId, resultKey] = splitOrigin(task.origin)
      const parent = board.byId.get(parentId as TaskId)
      // A chain of origins longer than any real graph is forged: treat it as not counting.
      result = depth > 16 || !parent || !fitsOrigin(task, parent, resultKey) || visit(parent, depth + 1) || !countsUnder(board, parent, task, resultKey)
    }
    memo.set(task.id, result)
    return result
  }
  const out = new Set<TaskId>()
  for (const t of board.tasks) if (visit(t, 0)) out.add(t.id)
  return out
}

/**
 * Whether `child`, created under result `resultKey` of `parent`, counts. A
 * verify node counts when the result it judges counts (the lowest id, should
 * its producer have written two; likewise for a plan's synthesis). Under a plan, once the
 * plan has a counted result only that result's nodes do. Before that, a plan's
 * streamed steps count while their attempt is live: it is the plan's current
 * attempt and their author is its winner. So an attempt that ends without a
 * result (its tab died, its engine failed) supersedes the steps it streamed,
 * and of two planners racing after a partition only the winner's steps run.
 */
function countsUnder(board: BoardIndex, parent: TaskSnapshot, child: TaskSnapshot, resultKey: string): boolean {
  const view = board.attemptsOf(parent)
  // One verify node judges a result and one synthesis ends a plan: a second one (its writer's own mess) is not run.
  if (child.kind === 'verify') return board.verifySlots(parent, resultKey).get(slotOf(child)) === child && view.results.some((r) => r.key === resultKey)
  if (child.kind === 'synthesize' && board.childrenOf(parent, resultKey).find((c) => c.kind === 'synthesize') !== child) return false
  const first = view.results[0]
  if (first) return first.key === resultKey
  const key = parseResultKey(resultKey)
  return key !== undefined && key.attempt === view.current && !view.gaveUp && view.winners[key.attempt - 1] === key.node
}

function acceptedResult(
  task: TaskSnapshot,
  view: AttemptView,
  board: BoardIndex,
): { accepted: Accepted; verification?: 'passed' | 'unverified' } | undefined {
  if (task.kind !== 'research') return view.results[0] ? { accepted: view.results[0] } : undefined
  let unverified: Accepted | undefined
  for (const r of view.results) {
    // The quorum (quorum.ts): every slot passed by a verifier other than the producer, or the tiebreak after a split.
    const outcome = board.quorumOutcomeOf(task, r.key)
    if (outcome.state === 'passed') return { accepted: r, verification: 'passed' }
    if (outcome.state === 'unverified') unverified ??= r
  }
  return unverified ? { accepted: unverified, verification: 'unverified' } : undefined
}

export function splitOrigin(origin: string): [string, string] {
  const i = origin.indexOf('/')
  return [origin.slice(0, i), origin.slice(i + 1)]
}

export function originOf(taskId: TaskId, resultKey: string): string {
  return `${taskId}/${resultKey}`
}

/** A root's plan is `${root}-plan` (the board checks it is signed by the root's creator). */
function planOf(root: TaskSnapshot, byId: ReadonlyMap<TaskId, TaskSnapshot>): TaskSnapshot | undefined {
  const plan = byId.get(`${root.id}-plan` as TaskId)
  return plan && plan.kind === 'plan' && plan.rootId === root.id ? plan : undefined
}

function deriveRoot(root: TaskSnapshot, board: BoardIndex, superseded: boolean, derive: (t: TaskSnapshot) => DerivedTask): DerivedTask {
  const base = { task: root, attempt: 1, superseded }
  const plan = planOf(root, board.byId)
  if (!plan) return { ...base, status: 'pending' }
  const dp = derive(plan)
  if (dp.status === 'failed') return { ...base, status: 'failed', failure: `planning failed: ${dp.failure ?? 'unknown'}` }
  if (dp.status !== 'done' || !dp.accepted) return { ...base, status: dp.status === 'ready' || dp.status === 'pending' ? 'pending' : 'running' }
  const synth = board.childrenOf(plan, dp.accepted.key).find((c) => c.kind === 'synthesize')
  if (!synth) return { ...base, status: 'running' }
  const ds = derive(synth)
  if (ds.status === 'done' && ds.accepted) return { ...base, status: 'done', accepted: ds.accepted }
  if (ds.status === 'failed') return { ...base, status: 'failed', failure: `synthesis failed: ${ds.failure ?? 'unknown'}` }
  return { ...base, status: 'running' }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}
