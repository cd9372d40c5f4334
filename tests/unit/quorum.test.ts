import { describe, expect, it } from 'vitest'
import { mayFillSlot, quorumForNewTask, quorumOutcome, tiebreakNeeded, type SlotView } from '../../src/scheduler/quorum'
import { A, B, C, D, nid, snap, staticTask, tid } from './task-fixtures'

const s = (slot: number, state: SlotView['state'], reason?: string): SlotView => ({ slot, state, ...(reason ? { reason } : {}) })

describe('quorumForNewTask', () => {
  it('is 2 once 3 or more tabs can verify, 1 below, and never more than the other tabs can fill', () => {
    expect([1, 2, 3, 4, 8].map((n) => quorumForNewTask(undefined, n))).toEqual([1, 1, 2, 2, 2])
    expect(quorumForNewTask(3, 8)).toBe(3)
    expect(quorumForNewTask(3, 3)).toBe(2)
    expect(quorumForNewTask(4, 2)).toBe(1)
    expect(quorumForNewTask(1, 8)).toBe(1)
  })
})

describe('quorumOutcome', () => {
  it('with one verifier: its verdict decides, a verifier that gave up leaves the result unverified', () => {
    expect(quorumOutcome(1, [])).toEqual({ state: 'pending' })
    expect(quorumOutcome(1, [s(1, 'pass')])).toEqual({ state: 'passed' })
    expect(quorumOutcome(1, [s(1, 'fail', 'wrong')])).toEqual({ state: 'failed', feedback: 'wrong' })
    expect(quorumOutcome(1, [s(1, 'gave-up')])).toEqual({ state: 'unverified' })
  })

  it('with two: both must pass; both failing fails; one open is pending whatever the other says', () => {
    expect(quorumOutcome(2, [s(1, 'pass')])).toEqual({ state: 'pending' })
    expect(quorumOutcome(2, [s(1, 'pass'), s(2, 'pass')])).toEqual({ state: 'passed' })
    expect(quorumOutcome(2, [s(2, 'fail', 'second'), s(1, 'fail', 'first')])).toEqual({ state: 'failed', feedback: 'first' })
    expect(quorumOutcome(2, [s(1, 'fail'), s(2, 'open')])).toEqual({ state: 'pending' })
  })

  it('a disagreement escalates once, to the tiebreak slot, whose verdict decides', () => {
    const split = [s(1, 'pass'), s(2, 'fail', 'missed a case')]
    expect(tiebreakNeeded(2, split)).toBe(true)
    expect(quorumOutcome(2, split)).toEqual({ state: 'pending' })
    expect(quorumOutcome(2, [...split, s(3, 'pass')])).toEqual({ state: 'passed' })
    expect(quorumOutcome(2, [...split, s(3, 'fail', 'agreed')])).toEqual({ state: 'failed', feedback: 'missed a case' })
    expect(quorumOutcome(2, [...split, s(3, 'gave-up')])).toEqual({ state: 'unverified' })
    expect(tiebreakNeeded(2, [s(1, 'pass'), s(2, 'pass')])).toBe(false)
    expect(tiebreakNeeded(1, [s(1, 'fail')])).toBe(false)
    // A tiebreak verdict written before any disagreement decides nothing.
    expect(quorumOutcome(2, [s(1, 'pass'), s(2, 'pass'), s(3, 'fail')])).toEqual({ state: 'passed' })
  })

  it('ignores slots beyond the tiebreak and gives the same outcome in any order', () => {
    const slots = [s(1, 'pass'), s(2, 'fail', 'x'), s(3, 'pass'), s(4, 'fail')]
    expect(quorumOutcome(2, slots)).toEqual({ state: 'passed' })
    expect(quorumOutcome(2, [...slots].reverse())).toEqual({ state: 'passed' })
  })
})

describe('mayFillSlot', () => {
  const root = (p: Partial<Parameters<typeof staticTask>[0]> = {}) => snap(staticTask({ id: tid('root-0000-0001'), kind: 'root', ...p }))

  it('never lets the producer, or one key twice, fill a result’s slots', () => {
    expect(mayFillSlot(A, A, new Set(), root())).toBe(false)
    expect(mayFillSlot(B, A, new Set([B]), root({ quorum: 2 }))).toBe(false)
    expect(mayFillSlot(B, A, new Set([C]), root({ quorum: 2 }))).toBe(true)
  })

  it('with a quorum, only the keys the submitter had seen, while enough of them remain to fill it', () => {
    const listed = root({ quorum: 2, verifiers: [A, B, C, D] })
    const fresh = nid('node-fresh-9999')
    expect(mayFillSlot(fresh, A, new Set(), listed)).toBe(false)
    expect(mayFillSlot(C, A, new Set(), listed)).toBe(true)
    // 2 listed keys besides the producer fill 2 slots (a tiebreak may reuse one): still only they may.
    expect(mayFillSlot(fresh, A, new Set(), root({ quorum: 2, verifiers: [A, B, C] }))).toBe(false)
    // Only 1 listed key besides the producer cannot fill 2 slots: anyone may.
    expect(mayFillSlot(fresh, A, new Set(), root({ quorum: 2, verifiers: [A, B] }))).toBe(true)
    expect(mayFillSlot(fresh, A, new Set(), root({ verifiers: [A, B, C, D] })), 'a quorum of 1 does not restrict').toBe(true)
  })
})
