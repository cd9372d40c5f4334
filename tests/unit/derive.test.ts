import { describe, expect, it } from 'vitest'
import type { TaskId, TaskSnapshot } from '../../src/board/dag-schema'
import { seededRandom } from '../../src/clock'
import { claimScore, deriveBoard, pickWinner } from '../../src/scheduler/derive'
import { A, B, C, D, Graph, ROOT, claim, deriveOne, lease, nid, requeue, result, snap, staticTask, summary, tid, twoSteps } from './task-fixtures'

const T = tid('task-0001')

function permutations<X>(xs: readonly X[]): X[][] {
  if (xs.length <= 1) return [[...xs]]
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]))
}

/** Nodes ordered by their claim score for (task, attempt): index 0 would win. */
const byScore = (task: string, attempt: number, nodes = [A, B, C, D]) => [...nodes].sort((x, y) => claimScore(task, attempt, x) - claimScore(task, attempt, y))

describe('pickWinner (the claim rule)', () => {
  it('gives the same winner for every order of the same claims, and that winner has the lowest score', () => {
    const claims = [A, B, C, D].map((n) => claim(n))
    const winners = new Set(permutations(claims).map((p) => pickWinner(T, 1, p, [])))
    expect([...winners]).toEqual([byScore(T, 1)[0]])
  })

  it('lets a lease outrank a claim with a lower score, in any order', () => {
    const [low, high] = byScore(T, 1, [A, B]) as [typeof A, typeof A]
    for (const claims of permutations([claim(low), claim(high)])) expect(pickWinner(T, 1, claims, [lease(high)])).toBe(high)
    const leases = [lease(low), lease(high)]
    for (const ls of permutations(leases)) expect(pickWinner(T, 1, [], ls)).toBe(low)
  })

  it('ignores claims and leases of other attempts', () => {
    const [best, second] = byScore(T, 2, [A, B]) as [typeof A, typeof A]
    expect(pickWinner(T, 2, [claim(best, 1), claim(second, 2)], [lease(best, 1)])).toBe(second)
    expect(pickWinner(T, 2, [claim(best, 1), claim(second, 3)], [lease(best, 3)])).toBeUndefined()
  })

  it('spreads wins across nodes over many task ids', () => {
    const wins = new Map<string, number>()
    for (let i = 0; i < 400; i++) {
      const w = pickWinner(tid(`task-${i.toString(36).padStart(4, '0')}`), 1, [A, B, C, D].map((n) => claim(n)), [])!
      wins.set(w, (wins.get(w) ?? 0) + 1)
    }
    expect([...wins.keys()].sort()).toEqual([A, B, C, D])
    for (const [node, n] of wins) expect(n, node).toBeGreaterThan(50)
  })
})

describe('the current attempt', () => {
  it('moves past every consecutive counted requeue and stops at a gap', () => {
    const ran = { claims: [claim(A, 1), claim(A, 2)] }
    expect(deriveOne(staticTask({ id: T })).attempt).toBe(1)
    expect(deriveOne(staticTask({ id: T }), { ...ran, requeues: [requeue(1), requeue(2)] }).attempt).toBe(3)
    expect(deriveOne(staticTask({ id: T }), { ...ran, requeues: [requeue(2)] }).attempt).toBe(1)
  })
})

describe('deriveBoard: one task', () => {
  const dep = staticTask({ id: tid('dep-0001'), kind: 'synthesize', role: 'synthesizer' })
  const task = staticTask({ id: T, kind: 'synthesize', role: 'synthesizer', deps: [dep.id] })

  it('is pending until every dependency is terminal (done or failed), then ready', () => {
    expect(deriveOne(task, {}, [snap(dep)]).status).toBe('pending')
    expect(deriveOne(task, {}, [snap(dep, { claims: [claim(A)], leases: [lease(A)] })]).status).toBe('pending')
    expect(deriveOne(task, {}, []).status).toBe('pending') // dependency not synced yet
    expect(deriveOne(task, {}, [snap(dep, { claims: [claim(A)], results: [result(A)] })]).status).toBe('ready')
    const failedDep = snap({ ...dep, maxAttempts: 1 }, { claims: [claim(A)], requeues: [requeue(1)] })
    expect(deriveOne(task, {}, [failedDep]).status).toBe('ready')
  })

  it('is claimed with the claim winner, running once leased, and ignores records of ended attempts', () => {
    const claimed = deriveOne(task, { claims: [claim(A), claim(B)] }, [snap(dep)])
    expect(claimed).toMatchObject({ status: 'claimed', winner: pickWinner(T, 1, [claim(A), claim(B)], []) })
    expect(deriveOne(task, { claims: [claim(A), claim(B)], leases: [lease(B)] })).toMatchObject({ status: 'running', winner: B })
    const next = deriveOne(task, { claims: [claim(A)], leases: [lease(A)], requeues: [requeue(1)] }, [snap(dep, { claims: [claim(C)], results: [result(C)] })])
    expect(next).toMatchObject({ status: 'ready', attempt: 2 })
    expect(next.winner).toBeUndefined()
  })

  it('is done with the result of the winner of its attempt, not another runner\'s (a partition healed)', () => {
    const [low, high] = byScore(T, 1, [A, B]) as [typeof A, typeof A]
    const d = deriveOne(task, { claims: [claim(low), claim(high)], leases: [lease(low), lease(high)], results: [result(high, 1), result(low, 1)] })
    expect(d.status).toBe('done')
    expect(d.accepted?.key).toBe(`1:${low}`)
    expect(d.accepted?.result.text).toBe(`answer 1 by ${low}`)
    const onlyLoser = deriveOne(task, { claims: [claim(low), claim(high)], leases: [lease(low), lease(high)], results: [result(high, 1)] })
    expect(onlyLoser).toMatchObject({ status: 'running', winner: low })
    expect(onlyLoser.accepted).toBeUndefined()
  })

  it('fails with the last reason once requeues reach maxAttempts', () => {
    const d = deriveOne({ ...task, maxAttempts: 2 }, { claims: [claim(A, 1), claim(A, 2)], requeues: [requeue(1), requeue(2, { reason: 'the lease of B expired' })] })
    expect(d).toMatchObject({ status: 'failed', attempt: 2, failure: 'gave up after 2 attempts: the lease of B expired' })
  })
})

describe('deriveBoard: research and verification', () => {
  it('keeps research verifying until a verdict passes, then done as passed', () => {
    const g = new Graph()
    const [s1] = g.plan(A, twoSteps)
    g.claim(s1!, B)
    g.lease(s1!, B)
    const v = g.research(s1!, B)
    expect(g.derive().get(s1!)).toMatchObject({ status: 'verifying', winner: B })
    expect(g.derive().get(v)?.status).toBe('ready')
    g.verdict(v, C, 'pass')
    expect(g.derive().get(s1!)).toMatchObject({ status: 'done', verification: 'passed', accepted: { key: `1:${B}` } })
  })

  it('accepts research as unverified when its verification fails for good', () => {
    const g = new Graph()
    const [s1] = g.plan(A, twoSteps)
    const v = g.research(s1!, B)
    g.requeue(v, requeue(1, { reason: 'verifier output invalid' }))
    expect(g.derive().get(s1!)?.status).toBe('verifying')
    g.requeue(v, requeue(2, { reason: 'verifier output invalid' }))
    expect(g.derive().get(v)?.status).toBe('failed')
    expect(g.derive().get(s1!)).toMatchObject({ status: 'done', verification: 'unverified', accepted: { key: `1:${B}` } })
  })

  it('opens the next attempt with the verifier feedback after a failed verdict', () => {
    const g = new Graph()
    const [s1] = g.plan(A, twoSteps)
    g.verdict(g.research(s1!, B), C, 'fail', 'cites no source')
    expect(g.derive().get(s1!)).toMatchObject({ status: 'ready', attempt: 2, feedback: 'cites no source' })
    g.verdict(g.research(s1!, B, 2), C, 'fail', 'still wrong', 1)
    expect(g.derive().get(s1!)).toMatchObject({ status: 'ready', attempt: 3, feedback: 'still wrong' })
  })

  it('marks the children of a plan result that was not accepted as superseded, and their verify nodes too', () => {
    const g = new Graph()
    const [win, lose] = byScore(g.planId, 1, [A, B]) as [typeof A, typeof A]
    const kept = g.plan(win, twoSteps)
    const dup = g.plan(lose, twoSteps)
    const v = g.research(dup[0]!, C)
    const d = g.derive()
    expect(d.get(g.planId)?.accepted?.key).toBe(`1:${win}`)
    for (const id of kept) expect(d.get(id)?.superseded, id).toBe(false)
    for (const id of dup) expect(d.get(id)?.superseded, id).toBe(true)
    expect(d.get(v)?.superseded, 'verify node of a superseded research task').toBe(true)
  })
})

describe('deriveBoard: a streamed plan', () => {
  const [s1, s2] = twoSteps.steps as [NonNullable<(typeof twoSteps.steps)[0]>, NonNullable<(typeof twoSteps.steps)[1]>]

  it('lets streamed steps run while their plan attempt is live, before the plan has a result', () => {
    const g = new Graph()
    g.claim(g.planId, A)
    g.lease(g.planId, A)
    const first = g.streamStep(A, 0, s1)
    const d = g.derive()
    expect(d.get(g.planId)?.status).toBe('running')
    expect(d.get(first)).toMatchObject({ status: 'ready', superseded: false })
    expect(d.get(ROOT)?.status).toBe('running')
  })

  it('keeps them when the result of that attempt is accepted: they are the nodes the result would have written', () => {
    const g = new Graph()
    g.claim(g.planId, A)
    g.lease(g.planId, A)
    const streamed = [g.streamStep(A, 0, s1), g.streamStep(A, 1, s2)]
    const kids = g.plan(A, twoSteps)
    expect(kids.slice(0, 2)).toEqual(streamed)
    for (const id of kids) expect(g.derive().get(id)?.superseded, id).toBe(false)
  })

  it('supersedes them, and all under them, when their attempt ends without a result (the planner tab died)', () => {
    const g = new Graph()
    g.claim(g.planId, A)
    g.lease(g.planId, A)
    const orphan = g.streamStep(A, 0, s1)
    const v = g.research(orphan, B)
    g.requeue(g.planId, requeue(1, { cause: 'holder-lost', reason: 'node aaaa left the swarm' }))
    let d = g.derive()
    expect(d.get(orphan)?.superseded).toBe(true)
    expect(d.get(v)?.superseded).toBe(true)
    expect(d.get(g.planId)).toMatchObject({ status: 'ready', attempt: 2 })
    // The next attempt plans afresh; its steps count, the orphan stays superseded even after the plan is done.
    g.claim(g.planId, C, 2)
    g.lease(g.planId, C, 2)
    const fresh = g.streamStep(C, 0, s1, 2)
    expect(g.derive().get(fresh)?.superseded).toBe(false)
    g.plan(C, twoSteps, 2)
    d = g.derive()
    expect(d.get(orphan)?.superseded).toBe(true)
    expect(d.get(fresh)?.superseded).toBe(false)
  })

  it('counts only the claim winner\'s steps when two planners stream the same attempt (after a partition), in any order', () => {
    const [win, lose] = byScore(`${ROOT}-plan`, 1, [A, B]) as [typeof A, typeof A]
    const g = new Graph()
    for (const n of [A, B]) {
      g.claim(g.planId, n)
      g.lease(g.planId, n)
    }
    const mine = g.streamStep(win, 0, s1)
    const theirs = g.streamStep(lose, 0, s1)
    const list = g.snapshots()
    for (const p of permutations(list).slice(0, 24)) {
      const d = deriveBoard(p)
      expect(d.get(mine)?.superseded).toBe(false)
      expect(d.get(theirs)?.superseded).toBe(true)
    }
    // The loser finished first in its half of the partition: its result does not count, the winner's attempt goes on.
    g.plan(lose, twoSteps)
    let d = g.derive()
    expect(d.get(g.planId)).toMatchObject({ status: 'running', winner: win })
    expect(d.get(theirs)?.superseded).toBe(true)
    expect(d.get(mine)?.superseded).toBe(false)
    g.plan(win, twoSteps)
    d = g.derive()
    expect(d.get(g.planId)?.accepted?.key).toBe(`1:${win}`)
    expect(d.get(mine)?.superseded).toBe(false)
    expect(d.get(theirs)?.superseded).toBe(true)
  })

  it('supersedes steps streamed under a node that never claimed the attempt (forged or stale)', () => {
    const g = new Graph()
    g.claim(g.planId, A)
    g.lease(g.planId, A)
    const stranger = g.streamStep(D, 0, s1)
    const early = g.streamStep(A, 0, s1, 2)
    expect(g.derive().get(stranger)?.superseded).toBe(true)
    expect(g.derive().get(early)?.superseded, 'an attempt that is not open yet').toBe(true)
  })
})

describe('deriveBoard: the root', () => {
  it('follows the plan and ends done with the synthesizer answer', () => {
    const g = new Graph()
    expect(g.derive().get(ROOT)?.status).toBe('pending')
    g.claim(g.planId, A)
    expect(g.derive().get(ROOT)?.status).toBe('running')
    const [s1, s2, synth] = g.plan(A, twoSteps)
    expect(g.derive().get(synth!)?.status).toBe('pending')
    g.verdict(g.research(s1!, B), C, 'pass')
    expect(g.derive().get(s2!)?.status).toBe('ready')
    g.verdict(g.research(s2!, C), B, 'pass')
    expect(g.derive().get(synth!)?.status).toBe('ready')
    expect(g.derive().get(ROOT)?.status).toBe('running')
    g.result(synth!, result(D, 1, { text: 'The final answer.' }))
    expect(g.derive().get(ROOT)).toMatchObject({ status: 'done', accepted: { key: `1:${D}`, result: { text: 'The final answer.' } } })
  })

  it('fails when planning fails, and when synthesis fails', () => {
    const g = new Graph()
    for (const n of [1, 2, 3]) g.requeue(g.planId, requeue(n, { reason: 'holder left' }))
    expect(g.derive().get(ROOT)).toMatchObject({ status: 'failed', failure: 'planning failed: gave up after 3 attempts: holder left' })
    const h = new Graph()
    const synth = h.plan(A, twoSteps)[2]!
    for (const n of [1, 2, 3]) h.requeue(synth, requeue(n, { reason: 'empty reply' }))
    expect(h.derive().get(ROOT)?.failure).toBe('synthesis failed: gave up after 3 attempts: empty reply')
  })
})

describe('deriveBoard: dependency cycles (hostile peers)', () => {
  const x = staticTask({ id: tid('task-x001'), deps: [tid('task-y001')] })
  const y = staticTask({ id: tid('task-y001'), deps: [tid('task-x001')] })
  const self = staticTask({ id: tid('task-s001'), deps: [tid('task-s001')] })

  it('terminates and derives every task', () => {
    expect(deriveBoard([snap(x), snap(y), snap(self)]).size).toBe(3)
  })

  it('fails every task on a 1-, 2- or 3-cycle with "dependency cycle"', () => {
    const [p, q, r] = ['task-p001', 'task-q001', 'task-r001'].map(tid) as [TaskId, TaskId, TaskId]
    const three = [staticTask({ id: p, deps: [q] }), staticTask({ id: q, deps: [r] }), staticTask({ id: r, deps: [p] })]
    const d = deriveBoard([snap(x), snap(y), snap(self), ...three.map((t) => snap(t))])
    for (const id of [self.id, x.id, y.id, p, q, r]) expect(d.get(id), id).toMatchObject({ status: 'failed', failure: 'dependency cycle' })
  })
})

describe('deriveBoard is a function of the records, not of their order', () => {
  function midRunGraph(): Graph {
    const g = new Graph()
    const [s1, s2] = g.plan(A, twoSteps)
    g.plan(B, twoSteps) // a duplicate plan after a partition
    g.verdict(g.research(s1!, B), C, 'pass')
    g.research(s2!, C)
    g.claim(s2!, D, 1)
    return g
  }

  it('derives the same board whatever order the snapshots come in (seeded shuffles)', () => {
    const g = midRunGraph()
    const expected = summary(g.derive())
    for (let seed = 1; seed <= 30; seed++) {
      const rnd = seededRandom(seed)
      const shuffle = (l: TaskSnapshot[]) => l.map((t) => [rnd.next(), t] as const).sort((p, q) => p[0] - q[0]).map(([, t]) => t)
      expect(summary(g.derive(shuffle)), `seed ${seed}`).toEqual(expected)
    }
  })

  it('keeps research verifying when its verify node comes before it in the snapshot list', () => {
    const g = new Graph()
    const [s1] = g.plan(A, twoSteps)
    g.research(s1!, B)
    expect(g.derive((l) => [...l].reverse()).get(s1!)).toMatchObject({ status: 'verifying' })
  })

  it('uses the node ids in the claim rule, not the names', () => {
    const renamed = { ...claim(nid('node-zzzz-9999')), name: 'aaa' }
    expect(pickWinner(T, 1, [renamed], [])).toBe('node-zzzz-9999')
  })
})
