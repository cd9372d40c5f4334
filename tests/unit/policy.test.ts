import { describe, expect, it } from 'vitest'
import type { TaskId } from '../../src/board/dag-schema'
import type { NodeId } from '../../src/mesh/protocol'
import { claimScore, type DerivedTask } from '../../src/scheduler/derive'
import { chooseTask, eligibleCandidates, findAbandoned, rankCandidates, type Candidate, type LivenessInput } from '../../src/scheduler/policy'
import { A, B, C, D, boardOf, candidate, derived, lease, tid } from './task-fixtures'

const research = derived({ id: tid('task-r001') })
const verify = derived({ id: tid('task-v001'), kind: 'verify', role: 'verifier', verifies: { taskId: tid('task-r001'), attempt: 1, resultKey: `1:${A}`, producer: A } })
const ids = (cs: readonly Candidate[]): string[] => cs.map((c) => c.id)

function permutations<X>(xs: readonly X[]): X[][] {
  if (xs.length <= 1) return [[...xs]]
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]))
}

describe('eligibleCandidates', () => {
  it('keeps available nodes that have the role', () => {
    const cs = [candidate(A), candidate(B, { roles: ['planner'] }), candidate(C, { available: false }), candidate(D, { roles: ['researcher'] })]
    expect(ids(eligibleCandidates(research, cs))).toEqual([A, D])
  })

  it('has nobody for a task without a role (a root)', () => {
    expect(eligibleCandidates(derived({ id: tid('root-0001'), kind: 'root' }), [candidate(A)])).toEqual([])
  })

  it('sends verification to another node than the producer whenever one is able', () => {
    expect(ids(eligibleCandidates(verify, [candidate(A), candidate(B), candidate(C)]))).toEqual([B, C])
    expect(ids(eligibleCandidates(verify, [candidate(A), candidate(B, { roles: ['planner'] })]))).toEqual([A])
    expect(ids(eligibleCandidates(verify, [candidate(A)]))).toEqual([A])
    expect(eligibleCandidates(verify, [candidate(A, { available: false })])).toEqual([])
  })

  it('waits for another verifier that is busy rather than letting the producer judge its own work', () => {
    expect(eligibleCandidates(verify, [candidate(A), candidate(B, { available: false })])).toEqual([])
    expect(ids(eligibleCandidates(verify, [candidate(A), candidate(B, { available: false, capable: false })]))).toEqual([A])
    expect(ids(eligibleCandidates(verify, [candidate(A), candidate(B, { available: false }), candidate(C)]))).toEqual([C])
  })

  it('keeps the producer eligible for tasks other than verification', () => {
    expect(ids(eligibleCandidates(research, [candidate(A), candidate(B, { available: false })]))).toEqual([A])
  })
})

describe('rankCandidates', () => {
  it('puts visible tabs before faster hidden ones', () => {
    expect(ids(rankCandidates(research, [candidate(A, { visible: false, tokensPerSec: 200 }), candidate(B, { tokensPerSec: 5 })]))).toEqual([B, A])
  })

  it('puts faster nodes first when their speeds fall in different log buckets, whatever the load', () => {
    expect(ids(rankCandidates(research, [candidate(A, { tokensPerSec: 10, load: 0 }), candidate(B, { tokensPerSec: 40, load: 0.9 })]))).toEqual([B, A])
  })

  it('treats speeds in the same bucket as equal and prefers the lower load', () => {
    expect(ids(rankCandidates(research, [candidate(A, { tokensPerSec: 41, load: 0.5 }), candidate(B, { tokensPerSec: 40, load: 0.1 })]))).toEqual([B, A])
  })

  it('breaks full ties by the per-task hash, identically for every input order', () => {
    const cs = [A, B, C, D].map((n) => candidate(n))
    const expected = [A, B, C, D].sort((x, y) => claimScore(research.task.id, 1, x) - claimScore(research.task.id, 1, y))
    for (const p of permutations(cs)) expect(ids(rankCandidates(research, p))).toEqual(expected)
  })

  it('spreads first place among equal nodes across tasks', () => {
    const firsts = new Set<string>()
    for (let i = 0; i < 100; i++) firsts.add(rankCandidates(derived({ id: tid(`task-${1000 + i}`) }), [A, B, C, D].map((n) => candidate(n)))[0]!.id)
    expect(firsts.size).toBe(4)
  })

  it('does not mutate its input', () => {
    const cs = [candidate(A, { visible: false }), candidate(B)]
    rankCandidates(research, cs)
    expect(ids(cs)).toEqual([A, B])
  })
})

describe('chooseTask', () => {
  const fast = candidate(A, { tokensPerSec: 100 })
  const slow = candidate(B, { tokensPerSec: 2 })
  const input = (list: DerivedTask[], self: Candidate, others: Candidate[], now: number, readySince = (_: TaskId, __: number) => 1000) => ({
    derived: boardOf(list),
    self,
    others,
    readySince,
    now,
    delta: 300,
  })

  it('lets the best-ranked node claim its own assignment at once, uncontested even when another idle node could take it', () => {
    // The other idle node computes the same assignment and only backs this one up after its delay.
    expect(chooseTask(input([research], fast, [slow], 1000))).toEqual({ choice: { taskId: research.task.id, attempt: 1, contested: false }, wakeInMs: null })
    expect(chooseTask(input([research], fast, [slow, candidate(C), candidate(D)], 1000)).choice?.contested).toBe(false)
  })

  it('marks a backup claim contested: the assigned node may be claiming the same task right now', () => {
    expect(chooseTask(input([research], slow, [fast], 1400))).toEqual({ choice: { taskId: research.task.id, attempt: 1, contested: true }, wakeInMs: null })
  })

  it('takes the fast path (uncontested) when this is the only eligible idle node', () => {
    expect(chooseTask(input([research], fast, [], 1000)).choice?.contested).toBe(false)
    expect(chooseTask(input([research], slow, [candidate(C, { available: false })], 1000)).choice?.contested).toBe(false)
    expect(chooseTask(input([research], slow, [candidate(C, { roles: ['planner'] })], 1000)).choice?.contested).toBe(false)
    // The producer of the judged result doesn't compete for its verification.
    expect(chooseTask(input([verify], candidate(B), [candidate(A)], 1000)).choice).toEqual({ taskId: verify.task.id, attempt: 1, contested: false })
  })

  it('makes rank r wait r × delta from when the task became ready', () => {
    const d = derived({ id: tid('task-r002') }, { attempt: 2 })
    const third = candidate(C, { tokensPerSec: 1 })
    const since = (id: TaskId, attempt: number) => (id === d.task.id && attempt === 2 ? 1000 : -1)
    expect(chooseTask(input([d], third, [fast, slow], 1599, since))).toEqual({ choice: null, wakeInMs: 1 })
    expect(chooseTask(input([d], third, [fast, slow], 1600, since)).choice).toEqual({ taskId: d.task.id, attempt: 2, contested: true })
    expect(chooseTask(input([d], slow, [fast, third], 1300, since)).choice).toEqual({ taskId: d.task.id, attempt: 2, contested: true })
  })

  it('picks the oldest ready task', () => {
    const older = derived({ id: tid('task-zzz1'), createdAt: 5 })
    const newer = derived({ id: tid('task-aaa1'), createdAt: 9 })
    const twin = derived({ id: tid('task-aaa0'), createdAt: 9 })
    expect(chooseTask(input([newer, older, twin], fast, [], 1000)).choice?.taskId).toBe(older.task.id)
    expect(chooseTask(input([newer, twin], fast, [], 1000)).choice?.taskId).toBe(twin.task.id)
  })

  it('assigns ready tasks to idle nodes one each, so nobody waits behind a node that takes another task', () => {
    const older = derived({ id: tid('task-zzz1'), createdAt: 5 })
    const newer = derived({ id: tid('task-aaa1'), createdAt: 9 })
    const since = (id: TaskId) => (id === older.task.id ? 1100 : 1050)
    // fast gets the older task, so slow takes the newer one at once rather than backing fast up on the older.
    expect(chooseTask(input([older, newer], slow, [fast], 1000, since)).choice).toEqual({ taskId: newer.task.id, attempt: 1, contested: false })
    expect(chooseTask(input([older, newer], fast, [slow], 1000, since)).choice?.taskId).toBe(older.task.id)
    // With one task and two nodes, the second only backs the first up after its delay.
    expect(chooseTask(input([older], slow, [fast], 1000, since))).toEqual({ choice: null, wakeInMs: 400 })
  })

  it('orders by level: plan, a verification others wait for, research, a leaf verification, synthesis', () => {
    const needed = derived({ id: tid('task-res0'), createdAt: 0 }, { status: 'verifying' })
    const kinds = [
      needed,
      derived({ id: tid('task-syn1'), kind: 'synthesize', role: 'synthesizer', createdAt: 1, deps: [tid('task-res0'), tid('task-res1'), tid('task-res2')] }),
      derived({ id: tid('task-res1'), createdAt: 2 }),
      derived({ id: tid('task-ver1'), kind: 'verify', role: 'verifier', createdAt: 3, verifies: { taskId: tid('task-res1'), attempt: 1, resultKey: `1:${B}`, producer: B } }),
      derived({ id: tid('task-pln1'), kind: 'plan', role: 'planner', createdAt: 4 }),
      derived({ id: tid('task-res2'), createdAt: 5, deps: [tid('task-res0')] }, { status: 'pending' }),
      derived({ id: tid('task-ver0'), kind: 'verify', role: 'verifier', createdAt: 6, verifies: { taskId: tid('task-res0'), attempt: 1, resultKey: `1:${B}`, producer: B } }),
    ]
    const order: string[] = []
    let left = kinds.filter((d) => d.status === 'ready')
    while (left.length > 0) {
      const id = chooseTask(input(kinds, fast, [], 1000)).choice!.taskId
      order.push(id)
      left = left.filter((d) => d.task.id !== id)
      kinds.splice(kinds.findIndex((d) => d.task.id === id), 1)
      left = kinds.filter((d) => d.status === 'ready')
    }
    expect(order).toEqual(['task-pln1', 'task-ver0', 'task-res1', 'task-ver1', 'task-syn1'])
  })

  it('gives every node the same assignment whatever order it lists its peers in', () => {
    const tasks = [1, 2, 3].map((i) => derived({ id: tid(`task-a00${i}`), createdAt: i }))
    const nodes = [A, B, C, D].map((n) => candidate(n))
    const pick = (self: Candidate, others: Candidate[]) => chooseTask(input(tasks, self, others, 1000)).choice?.taskId ?? null
    for (const self of nodes) {
      const others = nodes.filter((n) => n !== self)
      const first = pick(self, others)
      for (const p of permutations(others)) expect(pick(self, p)).toBe(first)
    }
    const taken = nodes.map((self) => pick(self, nodes.filter((n) => n !== self))).filter((t) => t !== null)
    expect(new Set(taken).size, 'three tasks to three different nodes at once').toBe(3)
  })

  it('skips tasks that are not ready, superseded, role-less or not for this node', () => {
    const list = [
      derived({ id: tid('task-c001') }, { status: 'claimed' }),
      derived({ id: tid('task-d001') }, { status: 'done' }),
      derived({ id: tid('task-s001') }, { superseded: true }),
      derived({ id: tid('root-r001'), kind: 'root' }),
      derived({ id: tid('task-p001'), kind: 'plan', role: 'planner' }),
    ]
    expect(chooseTask(input(list, candidate(A, { roles: ['researcher'] }), [], 5000))).toEqual({ choice: null, wakeInMs: null })
    expect(chooseTask(input(list, candidate(A, { available: false }), [], 5000)).choice).toBeNull()
  })
  it('does not let the producer claim its own verification while another verifier is busy', () => {
    const producer = candidate(A, { tokensPerSec: 100 })
    expect(chooseTask(input([verify], producer, [candidate(B, { available: false })], 9000))).toEqual({ choice: null, wakeInMs: null })
    expect(chooseTask(input([verify], producer, [], 1000)).choice).toEqual({ taskId: verify.task.id, attempt: 1, contested: false })
  })
})

describe('findAbandoned', () => {
  // The winner's lease is at beat 7; another node's beat must not be what a requeue reports.
  const running = derived({ id: tid('task-run1') }, { status: 'running', winner: B }, { leases: [lease(B, 1, 7), lease(C, 1, 9)] })
  const claimed = derived({ id: tid('task-clm1') }, { status: 'claimed', winner: B, attempt: 2 })
  const liveness = (list: DerivedTask[], p: Partial<LivenessInput> = {}): LivenessInput => ({
    derived: boardOf(list),
    selfId: A,
    isAlive: () => true,
    isMine: () => false,
    quietSince: () => 1000,
    now: 1000,
    leaseTimeoutMs: 5000,
    claimTimeoutMs: 2000,
    ...p,
  })

  it('ends running and claimed attempts whose holder left', () => {
    const out = findAbandoned(liveness([running, claimed], { isAlive: (n: NodeId) => n !== B }))
    expect(out).toEqual([
      { taskId: running.task.id, attempt: 1, cause: 'holder-lost', reason: `node ${B.slice(0, 8)} left the swarm`, lastBeat: 7 },
      { taskId: claimed.task.id, attempt: 2, cause: 'claim-stale', reason: `node ${B.slice(0, 8)} left the swarm`, lastBeat: -1 },
    ])
  })

  it('ends a lease silent for longer than the lease timeout, not one silent exactly that long', () => {
    expect(findAbandoned(liveness([running], { now: 6000 }))).toEqual([])
    expect(findAbandoned(liveness([running], { now: 6001 }))).toEqual([{ taskId: running.task.id, attempt: 1, cause: 'holder-lost', reason: `the lease of ${B.slice(0, 8)} expired`, lastBeat: 7 }])
  })

  it('ends a claim never started within the claim timeout', () => {
    expect(findAbandoned(liveness([claimed], { now: 3000 }))).toEqual([])
    expect(findAbandoned(liveness([claimed], { now: 3001 }))).toMatchObject([{ taskId: claimed.task.id, attempt: 2, cause: 'claim-stale' }])
  })

  it('ends its own lease when this instance is not running it (reload or crash), and only then', () => {
    const mine = derived({ id: tid('task-own1') }, { status: 'running', winner: A, attempt: 3 }, { leases: [lease(A, 3, 2)] })
    expect(findAbandoned(liveness([mine]))).toEqual([{ taskId: mine.task.id, attempt: 3, cause: 'holder-lost', reason: 'its node restarted before finishing', lastBeat: 2 }])
    const asked: [TaskId, number][] = []
    const isMine = (id: TaskId, attempt: number) => (asked.push([id, attempt]), true)
    expect(findAbandoned(liveness([mine], { isMine, now: 99_999, isAlive: () => false }))).toEqual([])
    expect(asked).toEqual([[mine.task.id, 3]])
  })

  it('leaves live holders, superseded tasks and tasks in other states alone', () => {
    const others = [
      derived({ id: tid('task-sup1') }, { status: 'running', winner: C, superseded: true }),
      derived({ id: tid('task-rdy1') }, { status: 'ready' }),
      derived({ id: tid('task-ver1') }, { status: 'verifying', winner: C }),
      derived({ id: tid('task-don1') }, { status: 'done', winner: C }),
    ]
    expect(findAbandoned(liveness([running, claimed, ...others], { isAlive: (n) => n !== C, now: 2500 }))).toEqual([])
  })
})
