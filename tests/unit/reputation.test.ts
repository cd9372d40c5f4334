import { describe, expect, it } from 'vitest'
import type { TaskId } from '../../src/board/dag-schema'
import type { NodeId } from '../../src/mesh/protocol'
import { deriveBoard } from '../../src/scheduler/derive'
import {
  computeReputation,
  INITIAL_ERROR_RATE,
  isLowTrust,
  LOW_TRUST_ERROR_RATE,
  lowTrustLast,
  mayVerify,
  reputationOf,
  trustOf,
  type Reputation,
} from '../../src/scheduler/reputation'
import { verifyNodeFor } from '../../src/scheduler/graph-builders'
import { A, B, C, D, Graph, ROOT, identity, nid, requeue, result, staticTask, threeSteps, twoSteps } from './task-fixtures'

const E = nid('node-eeee-0005')
const rep = (g: Graph, distrusted?: ReadonlyMap<string, string>): Reputation => computeReputation(g.derive().values(), distrusted)
const err = (r: Reputation, n: NodeId): number => reputationOf(r, n).errorRate

/** A verdict with its own signed end time (the order reputation applies events in); a fail requeues the judged attempt. */
function verdictAt(g: Graph, vid: TaskId, node: NodeId, verdict: 'pass' | 'fail', endedAt: number): void {
  g.result(vid, result(node, 1, { verdict, reason: 'because', provenance: { startedAt: endedAt - 1, endedAt } }))
  const v = g.statics.get(vid)!.verifies!
  if (verdict === 'fail') g.requeue(v.taskId, requeue(v.attempt, { cause: 'verification-failed', reason: 'rejected', feedback: 'x', by: node }))
}

/** The other quorum slots (2..k + 1) of the result verify task `vid` judges, under a root whose quorum is k. */
function quorumSlots(g: Graph, vid: TaskId, k: number): TaskId[] {
  g.statics.set(ROOT, { ...g.statics.get(ROOT)!, quorum: k })
  const v = g.statics.get(vid)!.verifies!
  return Array.from({ length: k }, (_, i) => g.add(verifyNodeFor(g.snapshot(v.taskId), v.resultKey, v.attempt, v.producer, identity(v.producer), 60, i + 2)).id)
}

describe('computeReputation: the error-rate rule', () => {
  it('is empty for a board without settled verifications; unknown keys are fresh (error rate 0.1, trust 0.9)', () => {
    const g = new Graph()
    const [s1] = g.plan(A, twoSteps)
    g.research(s1!, B) // awaiting its verdict: neutral
    const r = rep(g)
    expect(r.size).toBe(0)
    expect(reputationOf(r, B)).toEqual({ node: B, errorRate: INITIAL_ERROR_RATE, trust: 0.9, passed: 0, failed: 0, lowTrust: false })
    expect(trustOf(r, A)).toBe(0.9)
  })

  it('multiplies by 0.95 for a passed result, for the producer and for the agreeing verifier', () => {
    const g = new Graph()
    const [s1] = g.plan(A, twoSteps)
    g.verdict(g.research(s1!, B), C, 'pass')
    const r = rep(g)
    expect(reputationOf(r, B)).toMatchObject({ errorRate: 0.1 * 0.95, passed: 1, failed: 0 })
    expect(reputationOf(r, C)).toMatchObject({ errorRate: 0.1 * 0.95, passed: 1, failed: 0 })
    expect(trustOf(r, B)).toBeCloseTo(0.905, 12)
    expect(r.has(A), 'plans have no verification: neutral').toBe(false)
  })

  it('adds 0.05 for a failed result; the verifier that failed it agreed with the outcome', () => {
    const g = new Graph()
    const [s1] = g.plan(A, twoSteps)
    g.verdict(g.research(s1!, B), C, 'fail')
    expect(g.derive().get(s1!)?.attempt).toBe(2)
    const r = rep(g)
    expect(reputationOf(r, B)).toMatchObject({ errorRate: 0.1 + 0.05, passed: 0, failed: 1 })
    expect(reputationOf(r, C)).toMatchObject({ errorRate: 0.1 * 0.95, passed: 1 })
  })

  it('applies events in the order of their signed settle time, not the order of the records', () => {
    // B fails at t=100, then passes at t=200: (0.1 + 0.05) × 0.95. The other way round: 0.1 × 0.95 + 0.05.
    const failThenPass = new Graph()
    const [s1] = failThenPass.plan(A, twoSteps)
    verdictAt(failThenPass, failThenPass.research(s1!, B, 1), C, 'fail', 100)
    verdictAt(failThenPass, failThenPass.research(s1!, B, 2), C, 'pass', 200)
    expect(err(rep(failThenPass), B)).toBe((0.1 + 0.05) * 0.95)

    const passThenFail = new Graph()
    const [t1] = passThenFail.plan(A, twoSteps)
    verdictAt(passThenFail, passThenFail.research(t1!, B, 1), C, 'fail', 200)
    verdictAt(passThenFail, passThenFail.research(t1!, B, 2), C, 'pass', 100)
    expect(err(rep(passThenFail), B)).toBe(0.1 * 0.95 + 0.05)
  })

  it('clamps the error rate at 1', () => {
    const g = new Graph()
    const [s1] = g.plan(A, twoSteps)
    const s = g.statics.get(s1!)!
    // 20 research tasks, each failed by C: 0.1 + 20 × 0.05 > 1.
    for (let i = 0; i < 20; i++) {
      const id = g.add(staticTask({ ...s, id: `${s1}-x${String(i).padStart(2, '0')}` as TaskId, maxAttempts: 1 })).id
      verdictAt(g, g.research(id, B), C, 'fail', i)
    }
    expect(reputationOf(rep(g), B)).toMatchObject({ errorRate: 1, trust: 0, failed: 20, lowTrust: true })
  })

  it('counts a result whose attempts ran out as failed (the task failed), and one that ended unverified as neutral', () => {
    const g = new Graph()
    const [s1, s2] = g.plan(A, twoSteps)
    const s = g.statics.get(s1!)!
    const one = g.add(staticTask({ ...s, id: `${s1}-one` as TaskId, maxAttempts: 1 })).id
    verdictAt(g, g.research(one, B), C, 'fail', 5)
    expect(g.derive().get(one)?.status).toBe('failed')
    const v = g.research(s2!, D)
    g.requeue(v, requeue(1, { reason: 'verifier output invalid' }))
    g.requeue(v, requeue(2, { reason: 'verifier output invalid' }))
    expect(g.derive().get(s2!)).toMatchObject({ status: 'done', verification: 'unverified' })
    const r = rep(g)
    expect(reputationOf(r, B)).toMatchObject({ failed: 1, errorRate: expect.closeTo(0.15, 12) })
    expect(r.has(D)).toBe(false)
  })

  it('a verifier that passes what the quorum failed loses trust; one that fails what it passed too', () => {
    // A quorum of 2: C passes, D fails, the tiebreak E passes. The result passed, so D disagreed with the outcome.
    const g = new Graph()
    const [s1] = g.plan(A, twoSteps)
    const v1 = g.research(s1!, B)
    const [v2, tiebreak] = quorumSlots(g, v1, 2)
    verdictAt(g, v1, C, 'pass', 10)
    g.result(v2!, result(D, 1, { verdict: 'fail', reason: 'no', provenance: { endedAt: 11 } }))
    expect(g.derive().get(s1!)).toMatchObject({ status: 'verifying' })
    g.result(tiebreak!, result(E, 1, { verdict: 'pass', reason: 'fine', provenance: { endedAt: 12 } }))
    expect(g.derive().get(s1!)).toMatchObject({ status: 'done', verification: 'passed' })
    const r = rep(g)
    expect(reputationOf(r, B)).toMatchObject({ passed: 1, errorRate: 0.095 })
    expect(reputationOf(r, C)).toMatchObject({ passed: 1, errorRate: 0.095 })
    expect(reputationOf(r, D)).toMatchObject({ failed: 1, errorRate: expect.closeTo(0.15, 12) })
  })

  it('ignores verdicts derive did not accept, results of superseded tasks, and research still open', () => {
    const g = new Graph()
    const [s1, s2] = g.plan(A, twoSteps)
    const v = g.research(s1!, B)
    verdictAt(g, v, C, 'pass', 10)
    g.result(v, result(E, 1, { verdict: 'pass', reason: 'me too', provenance: { endedAt: 5 } })) // not the accepted verdict
    g.research(s2!, B) // awaiting
    // A duplicate plan after a partition: everything under it is superseded.
    const dupStep = g.plan(D, twoSteps)[0]!
    const dupV = g.research(dupStep, B)
    expect(g.derive().get(dupStep)?.superseded ?? true).toBe(true)
    verdictAt(g, dupV, C, 'fail', 3)
    const r = rep(g)
    expect(r.has(E)).toBe(false)
    expect(reputationOf(r, B)).toMatchObject({ passed: 1, failed: 0 })
    expect(reputationOf(r, C)).toMatchObject({ passed: 1, failed: 0 })
  })

  it('gives a distrusted key error rate 1 whatever its record, and lists it even without results', () => {
    const g = new Graph()
    const [s1] = g.plan(A, twoSteps)
    g.verdict(g.research(s1!, B), C, 'pass')
    const r = rep(g, new Map([[B, 'equivocated on claim'], [E, 'equivocated on result']]))
    expect(reputationOf(r, B)).toEqual({ node: B, errorRate: 1, trust: 0, passed: 1, failed: 0, lowTrust: true, distrusted: 'equivocated on claim' })
    expect(reputationOf(r, E)).toMatchObject({ errorRate: 1, lowTrust: true, distrusted: 'equivocated on result' })
    expect(mayVerify(r, B)).toBe(false)
    expect(mayVerify(r, C)).toBe(true)
    expect([...r.keys()]).toEqual([B, C, E].sort())
  })
})

describe('low trust: the threshold, mayVerify and lowTrustLast', () => {
  const failedTimes = (n: number, passesFirst = 0): Reputation => {
    const g = new Graph()
    const [s1] = g.plan(A, twoSteps)
    const s = g.statics.get(s1!)!
    for (let i = 0; i < passesFirst + n; i++) {
      const id = g.add(staticTask({ ...s, id: `${s1}-y${String(i).padStart(3, '0')}` as TaskId, maxAttempts: 1 })).id
      verdictAt(g, g.research(id, B), C, i < passesFirst ? 'pass' : 'fail', i)
    }
    return rep(g)
  }

  it('a fresh key is trusted after two failures and low-trust after three', () => {
    expect(isLowTrust(failedTimes(2), B)).toBe(false)
    expect(err(failedTimes(3), B)).toBeGreaterThanOrEqual(LOW_TRUST_ERROR_RATE)
    expect(isLowTrust(failedTimes(3), B)).toBe(true)
    expect(mayVerify(failedTimes(3), B)).toBe(false)
  })

  it('a long-standing honest key (60 passes) takes five failures to drop, and passes earn trust back', () => {
    expect(isLowTrust(failedTimes(4, 60), B)).toBe(false)
    expect(isLowTrust(failedTimes(5, 60), B)).toBe(true)
    expect(isLowTrust(failedTimes(0, 60), C), 'the verifier agreed 60 times').toBe(false)
  })

  it('lowTrustLast puts low-trust keys last and keeps the order among the others', () => {
    const r = computeReputation([], new Map([[B, 'equivocated']]))
    const order = [B, A, C, D].sort(lowTrustLast(r))
    expect(order).toEqual([A, C, D, B])
    expect(lowTrustLast(r)(A, C)).toBe(0)
  })
})

/** mulberry32: a seeded PRNG, so a failing case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function shuffled<X>(xs: readonly X[], rnd: () => number): X[] {
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

describe('computeReputation: same records, same numbers, whatever order (property)', () => {
  it('holds over 200 random boards, each derived and read in 5 shuffled orders', () => {
    const nodes = [A, B, C, D, E]
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = prng(seed)
      const pick = (): NodeId => nodes[Math.floor(rnd() * nodes.length)]!
      const g = new Graph()
      const steps = g.plan(pick(), rnd() < 0.5 ? twoSteps : threeSteps).slice(0, -1)
      for (const step of steps) {
        for (let attempt = 1; attempt <= 3; attempt++) {
          const producer = pick()
          const v = g.research(step, producer, attempt)
          const roll = rnd()
          if (roll < 0.15) break // left awaiting
          const verifier = nodes.filter((n) => n !== producer)[Math.floor(rnd() * 4)]!
          // A duplicate verify node for the same slot (its writer's own mess): ignored, in every order.
          if (rnd() < 0.3) g.result(g.add(staticTask({ ...g.statics.get(v)!, id: `${v}-q2` as TaskId })).id, result(pick(), 1, { verdict: rnd() < 0.5 ? 'pass' : 'fail', reason: 'r', provenance: { endedAt: Math.floor(rnd() * 50) } }))
          const pass = roll < 0.6
          verdictAt(g, v, verifier, pass ? 'pass' : 'fail', Math.floor(rnd() * 50))
          if (pass) break
        }
      }
      const distrusted = new Map(rnd() < 0.3 ? [[pick(), 'equivocated'] as [string, string]] : [])
      const expected = JSON.stringify([...computeReputation(g.derive().values(), distrusted)])
      for (let k = 0; k < 5; k++) {
        const derived = [...deriveBoard(shuffled(g.snapshots(), rnd)).values()]
        const again = computeReputation(shuffled(derived, rnd), new Map(shuffled([...distrusted], rnd)))
        expect(JSON.stringify([...again]), `seed ${seed}, order ${k}`).toBe(expected)
      }
    }
  })
})
