/** Honest labels: which output is SIMULATED or TEST FIXTURE, per result and per node of the ledger. */
import { describe, expect, it } from 'vitest'
import { contributionKinds, labelPrefix, outputKind } from '../../src/ui/labels'
import { A, B, boardOf, derived, result, tid } from './task-fixtures'

describe('outputKind / labelPrefix', () => {
  it('labels the simulated engine and the test fixture, and nothing else', () => {
    expect(outputKind({ simulated: true, model: 'sim-fast' })).toEqual({ simulated: true, fixture: false })
    expect(outputKind({ simulated: false, model: 'tiny-fixture' })).toEqual({ simulated: false, fixture: true })
    expect(outputKind({ simulated: false, model: 'HuggingFaceTB/SmolLM2-135M-Instruct' })).toEqual({ simulated: false, fixture: false })
    expect(labelPrefix({ simulated: true, fixture: false })).toBe('SIMULATED · ')
    expect(labelPrefix({ simulated: false, fixture: true })).toBe('TEST FIXTURE · ')
    expect(labelPrefix({ simulated: false, fixture: false })).toBe('')
  })
})

describe('contributionKinds', () => {
  it('marks a node by any of its accepted results; ignores roots, unfinished and superseded tasks', () => {
    const fixtureResult = result(A, 1, { provenance: { simulated: false, model: 'tiny-fixture' } })
    const realResult = result(B, 1, { provenance: { simulated: false, model: 'real-model' } })
    const simResult = result(A, 1, { provenance: { simulated: true, model: 'sim-fast' } })
    const board = boardOf([
      derived({ id: tid('t1') }, { status: 'done', accepted: { key: '1:a', result: fixtureResult } }),
      derived({ id: tid('t2') }, { status: 'done', accepted: { key: '1:b', result: realResult } }),
      derived({ id: tid('t3') }, { status: 'done', accepted: { key: '1:a', result: simResult } }),
      derived({ id: tid('t4') }, { status: 'done', superseded: true, accepted: { key: '1:b', result: simResult } }),
      derived({ id: tid('t5') }, { status: 'running', accepted: { key: '1:b', result: simResult } }),
    ])
    const kinds = contributionKinds(board.values())
    expect(kinds.get(A)).toEqual({ simulated: true, fixture: true })
    expect(kinds.get(B)).toEqual({ simulated: false, fixture: false })
  })
})
