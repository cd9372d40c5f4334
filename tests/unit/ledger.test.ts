import { describe, expect, it } from 'vitest'
import { claimScore } from '../../src/scheduler/derive'
import { computeLedger } from '../../src/scheduler/ledger'
import { A, B, C, D, Graph, ROOT, requeue, result, twoSteps } from './task-fixtures'

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
    g.verdict(g.research(s1!, B, 1, 'one', 30), C, 'pass')
    g.verdict(g.research(s2!, B, 1, 'two', 12), C, 'pass')
    expect(row(computeLedger(g.derive().values()), B)).toEqual({ node: B, name: 'n-bbbb', tasks: 2, tokens: 42, simulated: true })
  })

  it('counts verified research, the verifications and the synthesis, but not the root (no double count)', () => {
    const g = new Graph()
    const [s1, s2, synth] = g.plan(A, twoSteps)
    g.verdict(g.research(s1!, B), C, 'pass')
    g.verdict(g.research(s2!, B), C, 'pass')
    g.result(synth!, result(D, 1, { provenance: { completionTokens: 50 } }))
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
    g.result(synth, result(C, 2, { provenance: { completionTokens: 40 } }))
    g.result(synth, result(B, 3, { provenance: { completionTokens: 1000 } }))
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
})
