/**
 * Pure derivation of every task's status from the board's grow-only records.
 * Every replica runs this on the records it has; the same records always give
 * the same statuses, claim winners and accepted results (invariant 2).
 *
 * Rules, in the order they apply:
 *  - attempt k is current while no requeue record for k exists;
 *    attempts run out when requeues reach maxAttempts → failed;
 *  - the claim winner of attempt k: among nodes holding a lease for k if any
 *    (a node that already started outranks mere claimants), else among
 *    claimants, the lowest claimScore: a hash, so wins spread across nodes;
 *  - the accepted result: lowest attempt, then lowest claimScore. For
 *    research tasks only results whose verification passed (or whose
 *    verification itself failed for good: "unverified") count;
 *  - a node created by a result that is not its parent's accepted result is
 *    superseded (a duplicate after a partition healed) and ignored; a plan's
 *    streamed steps, before the plan has a result, count only while their
 *    attempt is live (see countsUnder).
 */
import type { NodeId } from '../mesh/protocol'
import type { Claim, Lease, Requeue, TaskId, TaskResult, TaskSnapshot } from '../board/dag-schema'

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

export interface Accepted {
  readonly key: string
  readonly result: TaskResult
}

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
}

export function isTerminal(status: TaskStatus): boolean {
  return status === 'done' || status === 'failed'
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

const byScore = (taskId: string) => (a: { attempt: number; node: string }, b: { attempt: number; node: string }) =>
  a.attempt - b.attempt || claimScore(taskId, a.attempt, a.node) - claimScore(taskId, b.attempt, b.node) || a.node.localeCompare(b.node)

export function pickWinner(taskId: TaskId, attempt: number, claims: Iterable<Claim>, leases: Iterable<Lease>): NodeId | undefined {
  const started = [...leases].filter((l) => l.attempt === attempt)
  const pool = started.length > 0 ? started : [...claims].filter((c) => c.attempt === attempt)
  return pool.sort(byScore(taskId))[0]?.node
}

/** The requeue that ends attempt k, if any: deterministic whichever signer's records arrived first. */
export function requeueOf(task: TaskSnapshot, attempt: number): Requeue | undefined {
  let best: Requeue | undefined
  for (const r of task.requeues.values()) if (r.attempt === attempt && (!best || r.by < best.by)) best = r
  return best
}

export function currentAttempt(task: TaskSnapshot): number {
  let attempt = 1
  while (requeueOf(task, attempt)) attempt++
  return attempt
}

function orderedResults(task: TaskSnapshot): { key: string; result: TaskResult }[] {
  return [...task.results.entries()]
    .map(([key, result]) => ({ key, result, attempt: result.attempt, node: result.provenance.node }))
    .sort(byScore(task.id))
}

export function deriveBoard(tasks: readonly TaskSnapshot[]): Map<TaskId, DerivedTask> {
  const byId = new Map(tasks.map((t) => [t.id, t]))
  const verifiersOf = new Map<string, TaskSnapshot[]>() // `${taskId}/${resultKey}` → verify nodes
  for (const t of tasks) if (t.verifies) push(verifiersOf, `${t.verifies.taskId}/${t.verifies.resultKey}`, t)
  // What each task's status is computed from. Peers can write any deps, so cycles are found
  // up front and failed outright; everything else is then a DAG and derives in one pass.
  const inputs = new Map<TaskId, TaskId[]>()
  for (const t of tasks) {
    const from: TaskId[] = [...t.deps.filter((d) => byId.has(d))]
    if (t.kind === 'research') for (const key of t.results.keys()) for (const v of verifiersOf.get(`${t.id}/${key}`) ?? []) from.push(v.id)
    if (t.kind === 'root') for (const c of tasks) if (c.rootId === t.id && (c.kind === 'plan' || c.kind === 'synthesize') && c.id !== t.id) from.push(c.id)
    inputs.set(t.id, from)
  }
  const cyclic = nodesOnCycles(inputs)
  const superseded = supersededTasks(tasks, byId)
  const out = new Map<TaskId, DerivedTask>()

  const derive = (task: TaskSnapshot): DerivedTask => {
    const known = out.get(task.id)
    if (known) return known
    const result = cyclic.has(task.id)
      ? { task, status: 'failed' as const, attempt: 1, superseded: superseded.has(task.id), failure: 'dependency cycle' }
      : task.kind === 'root'
        ? deriveRoot(task, tasks, superseded.has(task.id), derive)
        : deriveTask(task, superseded.has(task.id), byId, verifiersOf, derive)
    out.set(task.id, result)
    return result
  }
  for (const t of tasks) derive(t)
  return out
}

function deriveTask(
  task: TaskSnapshot,
  superseded: boolean,
  byId: ReadonlyMap<TaskId, TaskSnapshot>,
  verifiersOf: Map<string, TaskSnapshot[]>,
  derive: (t: TaskSnapshot) => DerivedTask,
): DerivedTask {
  const attempt = currentAttempt(task)
  const lastRequeue = requeueOf(task, attempt - 1)
  const feedback = [...task.requeues.values()].filter((r) => r.feedback).sort((a, b) => b.attempt - a.attempt)[0]?.feedback
  const base = { task, attempt, superseded, ...(feedback ? { feedback } : {}) }
  const accepted = acceptedResult(task, verifiersOf, derive)
  if (accepted) return { ...base, status: 'done', accepted: accepted.accepted, ...(accepted.verification ? { verification: accepted.verification } : {}) }
  if (attempt > task.maxAttempts) {
    return { ...base, attempt: task.maxAttempts, status: 'failed', failure: `gave up after ${task.maxAttempts} attempts: ${lastRequeue?.reason ?? 'unknown'}` }
  }
  const winner = pickWinner(task.id, attempt, task.claims.values(), task.leases.values())
  const withWinner = winner ? { ...base, winner } : base
  if (task.kind === 'research' && [...task.results.values()].some((r) => r.attempt === attempt)) return { ...withWinner, status: 'verifying' }
  if ([...task.leases.values()].some((l) => l.attempt === attempt)) return { ...withWinner, status: 'running' }
  if ([...task.claims.values()].some((c) => c.attempt === attempt)) return { ...withWinner, status: 'claimed' }
  const depsDone = task.deps.every((d) => {
    const dep = byId.get(d)
    return dep !== undefined && isTerminal(derive(dep).status)
  })
  return { ...base, status: depsDone ? 'ready' : 'pending' }
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
 * Top-down: a task is superseded when the result that created it is not its
 * parent's accepted result, or its parent is superseded. Only results of
 * plan-like tasks (accepted = first result) decide this, so it needs no
 * status derivation and cannot depend on input order.
 */
function supersededTasks(tasks: readonly TaskSnapshot[], byId: ReadonlyMap<TaskId, TaskSnapshot>): Set<TaskId> {
  const memo = new Map<TaskId, boolean>()
  const visit = (task: TaskSnapshot, depth: number): boolean => {
    const known = memo.get(task.id)
    if (known !== undefined) return known
    let result = false
    if (task.origin) {
      const [parentId, resultKey] = splitOrigin(task.origin)
      const parent = byId.get(parentId as TaskId)
      // A chain of origins longer than any real graph is forged: treat it as not counting.
      if (depth > 16) result = true
      else if (parent) {
        result = visit(parent, depth + 1) || (task.kind !== 'verify' && parent.kind !== 'research' && !countsUnder(parent, resultKey))
      }
    }
    memo.set(task.id, result)
    return result
  }
  const out = new Set<TaskId>()
  for (const t of tasks) if (visit(t, 0)) out.add(t.id)
  return out
}

/**
 * Whether a node created under `resultKey` of `parent` counts. Once the
 * parent has a result, only its accepted (first) result's nodes do. Before
 * that, a plan's streamed steps count while their attempt is live: it is the
 * plan's current attempt and their author is its claim winner. So an attempt
 * that ends without a result (its tab died, its engine failed) supersedes the
 * steps it streamed, and of two planners racing after a partition only the
 * winner's steps run.
 */
function countsUnder(parent: TaskSnapshot, resultKey: string): boolean {
  const first = orderedResults(parent)[0]
  if (first) return first.key === resultKey
  if (parent.kind !== 'plan') return false
  const colon = resultKey.indexOf(':')
  const attempt = Number(resultKey.slice(0, colon))
  const node = resultKey.slice(colon + 1)
  if (!Number.isInteger(attempt) || attempt !== currentAttempt(parent) || attempt > parent.maxAttempts) return false
  return pickWinner(parent.id, attempt, parent.claims.values(), parent.leases.values()) === node
}

function acceptedResult(
  task: TaskSnapshot,
  verifiersOf: Map<string, TaskSnapshot[]>,
  derive: (t: TaskSnapshot) => DerivedTask,
): { accepted: Accepted; verification?: 'passed' | 'unverified' } | undefined {
  const results = orderedResults(task)
  if (task.kind !== 'research') return results[0] ? { accepted: results[0] } : undefined
  let unverified: Accepted | undefined
  for (const r of results) {
    for (const v of verifiersOf.get(`${task.id}/${r.key}`) ?? []) {
      const dv = derive(v)
      if (dv.status === 'done' && dv.accepted?.result.verdict === 'pass') return { accepted: r, verification: 'passed' }
      if (dv.status === 'failed') unverified ??= r
    }
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

function deriveRoot(root: TaskSnapshot, tasks: readonly TaskSnapshot[], superseded: boolean, derive: (t: TaskSnapshot) => DerivedTask): DerivedTask {
  const base = { task: root, attempt: 1, superseded }
  const plan = tasks.find((t) => t.kind === 'plan' && t.rootId === root.id)
  if (!plan) return { ...base, status: 'pending' }
  const dp = derive(plan)
  if (dp.status === 'failed') return { ...base, status: 'failed', failure: `planning failed: ${dp.failure ?? 'unknown'}` }
  if (dp.status !== 'done' || !dp.accepted) return { ...base, status: dp.status === 'ready' || dp.status === 'pending' ? 'pending' : 'running' }
  const synthOrigin = originOf(plan.id, dp.accepted.key)
  const synth = tasks.find((t) => t.kind === 'synthesize' && t.origin === synthOrigin)
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
