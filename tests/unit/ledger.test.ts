import { describe, expect, it } from 'vitest'
import { claimScore, deriveBoard } from '../../src/scheduler/derive'
import { computeLedger, creditedTokens } from '../../src/scheduler/ledger'
import { computeReputation } from '../../src/scheduler/reputation'
import { A, B, C, D, Graph, ROOT, requeue, result, twoSteps } from './task-fixtures'

const long = (n: number): string => 'x'.repeat(n)

const row = (l: ReturnType<typeof computeLedger>, node: string) => l.find((r) => r.node === node)

describe('computeLedger', () => {
  it('is empty for an empty board and for one where nothing was accepted yet', () => {
    expect(computeLedger([])).toEqual([])
    const g = new Graph()
    g.claim(g.planId, A)
    g.lease(g.planId, A)
    expect(computeLedger(g.derive().values())).toEqual([])
  })

  it('counts accepted results per node and sums their completion tokens', () => {
    const g = new Graph()
    const [s1, s2] = g.plan(A, twoSteps)
    g.verdict(g.research(s1!, B, 1, long(100), 30), C, 'pass')
    g.verdict(g.research(s2!, B, 1, long(100), 12), C, 'pass')
    expect(row(computeLedger(g.derive().values()), B)).toEqual({ node: B, name: 'n-bbbb', tasks: 2, tokens: 42, simulated: true, trust: 1 - 0.1 * 0.95 * 0.95, lowTrust: false })
  })

  it('counts verified research, the verifications and the synthesis, but not the root (no double count)', () => {
    const g = new Graph()
    const [s1, s2, synth] = g.plan(A, twoSteps)
    g.verdict(g.research(s1!, B), C, 'pass')
    g.verdict(g.research(s2!, B), C, 'pass')
    g.result(synth!, result(D, 1, { text: long(60), provenance: { completionTokens: 50 } }))
    expect(g.derive().get(ROOT)?.status).toBe('done')
    const l = computeLedger(g.derive().values())
    expect(l.map((r) => [r.node, r.tasks, r.tokens])).toEqual([
      [D, 1, 50],
      [B, 2, 14],
      [C, 2, 14],
      [A, 1, 7],
    ])
  })

  it('does not count research still awaiting its verdict, nor attempts a verifier rejected', () => {
    const g = new Graph()
    const [s1, s2] = g.plan(A, twoSteps)
    g.research(s1!, B) // verifying
    g.verdict(g.research(s2!, C), D, 'fail', 'wrong') // rejected: attempt 2 is open
    const l = computeLedger(g.derive().values())
    expect(row(l, B)).toBeUndefined()
    expect(row(l, C)).toBeUndefined()
    expect(row(l, D)?.tasks).toBe(1) // the verification itself was work
  })

  it('does not count duplicates after a partition: the loser plan result and everything under it', () => {
    const g = new Graph()
    const [win, lose] = [A, B].sort((x, y) => claimScore(g.planId, 1, x) - claimScore(g.planId, 1, y)) as [typeof A, typeof A]
    g.plan(win, twoSteps)
    const dup = g.plan(lose, twoSteps)
    g.result(dup[0]!, result(D, 1, { provenance: { completionTokens: 999 } }))
    const l = computeLedger(g.derive().values())
    expect(l.map((r) => r.node)).toEqual([win])
  })

  it('counts only the accepted attempt of a task with several results', () => {
    const g = new Graph()
    const synth = g.plan(A, twoSteps)[2]!
    g.requeue(synth, requeue(1))
    g.result(synth, result(C, 2, { text: long(50), provenance: { completionTokens: 40 } }))
    g.result(synth, result(B, 3, { text: long(2000), provenance: { completionTokens: 1000 } }))
    expect(row(computeLedger(g.derive().values()), C)?.tokens).toBe(40)
    expect(row(computeLedger(g.derive().values()), B)).toBeUndefined()
  })

  it('marks a node simulated if any counted result was simulated', () => {
    const g = new Graph()
    const [, , synth] = g.plan(A, twoSteps)
    g.result(synth!, result(A, 1, { provenance: { simulated: false } }))
    const planRow = computeLedger(g.derive().values()).find((r) => r.node === A)
    expect(planRow).toMatchObject({ tasks: 2, simulated: true })
    const h = new Graph()
    h.result(h.plan(A, twoSteps)[2]!, result(B, 1, { provenance: { simulated: false } })) // a plan result counts only with its children
    expect(row(computeLedger(h.derive().values()), B)?.simulated).toBe(false)
  })

  it('credits at most the bytes a result delivered: a key cannot inflate its tokens', () => {
    expect(creditedTokens(result(A, 1, { text: 'short', provenance: { completionTokens: 1_000_000 } }))).toBe(5)
    expect(creditedTokens(result(A, 1, { text: 'é✓', provenance: { completionTokens: 9 } })), 'UTF-8 bytes, not characters').toBe(5)
    expect(creditedTokens(result(A, 1, { text: long(40), provenance: { completionTokens: 12 } }))).toBe(12)
    const g = new Graph()
    const [s1] = g.plan(A, twoSteps)
    g.verdict(g.research(s1!, B, 1, 'tiny', 999_999), C, 'pass')
    expect(row(computeLedger(g.derive().values()), B)?.tokens).toBe(4)
  })

  it("shows each key's trust from the reputation it is given (distrusted keys at 0)", () => {
    const g = new Graph()
    const [s1, s2] = g.plan(A, twoSteps)
    g.verdict(g.research(s1!, B), C, 'pass')
    g.verdict(g.research(s2!, D), C, 'fail')
    const derived = [...g.derive().values()]
    const l = computeLedger(derived, computeReputation(derived, new Map([[C, 'equivocated']])))
    expect(row(l, A)).toMatchObject({ trust: 0.9, lowTrust: false }) // plans are not verified: fresh
    expect(row(l, B)).toMatchObject({ trust: 1 - 0.1 * 0.95, lowTrust: false })
    expect(row(l, C)).toMatchObject({ trust: 0, lowTrust: true })
    expect(row(l, D), 'its only result was failed: nothing counted').toBeUndefined()
  })

  it('is the same whatever order the board was read in, names included (the latest signed name wins)', () => {
    const g = new Graph()
    const [s1, s2, synth] = g.plan(A, twoSteps)
    g.verdict(g.research(s1!, B, 1, long(30)), C, 'pass')
    g.verdict(g.research(s2!, B, 1, long(30)), C, 'pass')
    g.result(synth!, result(B, 1, { text: long(80), provenance: { name: 'renamed-b', endedAt: 99, completionTokens: 70 } }))
    const expected = computeLedger(g.derive().values())
    expect(row(expected, B)).toMatchObject({ name: 'renamed-b', tasks: 3, tokens: 84 })
    for (let k = 0; k < 6; k++) {
      const list = g.snapshots()
      const order = k % 2 ? list.reverse() : [...list.slice(k), ...list.slice(0, k)]
      const derived = [...deriveBoard(order).values()]
      expect(computeLedger(k % 3 ? derived.reverse() : derived), `order ${k}`).toEqual(expected)
    }
  })
})
