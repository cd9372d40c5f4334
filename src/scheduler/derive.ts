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
 *    superseded (a duplicate after a partition healed) and ignored.
 */
import type { NodeId } from '../mesh/protocol'
import type { Claim, Lease, TaskId, TaskResult, TaskSnapshot } from '../board/dag-schema'

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

export function currentAttempt(task: TaskSnapshot): number {
  let attempt = 1
  while (task.requeues.has(attempt)) attempt++
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
  const out = new Map<TaskId, DerivedTask>()

  const derive = (task: TaskSnapshot, stack: Set<TaskId>): DerivedTask => {
    const known = out.get(task.id)
    if (known) return known
    if (stack.has(task.id)) return finish({ task, status: 'failed', attempt: 1, superseded: false, failure: 'dependency cycle' })
    stack.add(task.id)
    const superseded = isSuperseded(task, byId, (t) => derive(t, stack))
    const attempt = currentAttempt(task)
    const lastRequeue = task.requeues.get(attempt - 1)
    const feedback = [...task.requeues.values()].filter((r) => r.feedback).sort((a, b) => b.attempt - a.attempt)[0]?.feedback
    const base = { task, attempt, superseded, ...(feedback ? { feedback } : {}) }
    if (task.kind === 'root') return finish(deriveRoot(task, tasks, superseded, (t) => derive(t, stack)))

    const accepted = acceptedResult(task, verifiersOf, (t) => derive(t, stack))
    if (accepted) return finish({ ...base, status: 'done', accepted: accepted.accepted, ...(accepted.verification ? { verification: accepted.verification } : {}) })
    if (attempt > task.maxAttempts) {
      return finish({ ...base, attempt: task.maxAttempts, status: 'failed', failure: `gave up after ${task.maxAttempts} attempts: ${lastRequeue?.reason ?? 'unknown'}` })
    }
    const winner = pickWinner(task.id, attempt, task.claims.values(), task.leases.values())
    const withWinner = winner ? { ...base, winner } : base
    if (task.kind === 'research' && [...task.results.values()].some((r) => r.attempt === attempt)) return finish({ ...withWinner, status: 'verifying' })
    if ([...task.leases.values()].some((l) => l.attempt === attempt)) return finish({ ...withWinner, status: 'running' })
    if ([...task.claims.values()].some((c) => c.attempt === attempt)) return finish({ ...withWinner, status: 'claimed' })
    const depsDone = task.deps.every((d) => {
      const dep = byId.get(d)
      return dep !== undefined && isTerminal(derive(dep, stack).status)
    })
    return finish({ ...base, status: depsDone ? 'ready' : 'pending' })
  }
  const finish = (d: DerivedTask): DerivedTask => {
    out.set(d.task.id, d)
    return d
  }
  for (const t of tasks) derive(t, new Set())
  return out
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

function isSuperseded(task: TaskSnapshot, byId: Map<TaskId, TaskSnapshot>, derive: (t: TaskSnapshot) => DerivedTask): boolean {
  if (!task.origin) return false
  const [parentId, resultKey] = splitOrigin(task.origin)
  const parent = byId.get(parentId as TaskId)
  if (!parent) return false // parent not synced yet: nothing to supersede us
  const dp = derive(parent)
  if (dp.superseded) return true
  if (task.kind === 'verify') return false // every result of a live task gets judged
  return dp.accepted !== undefined && dp.accepted.key !== resultKey
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
