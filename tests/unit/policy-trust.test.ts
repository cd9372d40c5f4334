/** Low-trust keys don't verify, and they rank last (policy.ts with a reputation from reputation.ts). */
import { describe, expect, it } from 'vitest'
import type { TaskId } from '../../src/board/dag-schema'
import type { NodeId } from '../../src/mesh/protocol'
import { chooseTask, eligibleCandidates, rankCandidates, type Candidate } from '../../src/scheduler/policy'
import { computeReputation, type Reputation } from '../../src/scheduler/reputation'
import { A, B, C, D, boardOf, candidate, derived, tid } from './task-fixtures'

const research = derived({ id: tid('task-r001') })
const verify = derived({ id: tid('task-v001'), kind: 'verify', role: 'verifier', verifies: { taskId: tid('task-r001'), attempt: 1, resultKey: `1:${A}`, producer: A } })
const ids = (cs: readonly Candidate[]): string[] => cs.map((c) => c.id)
/** B is low-trust: distrusted (error rate 1). Nobody else has a record: fresh, trusted. */
const lowB: Reputation = computeReputation([], new Map([[B, 'equivocated']]))

describe('eligibleCandidates with a reputation', () => {
  it('drops low-trust keys from verification only', () => {
    expect(ids(eligibleCandidates(verify, [candidate(B), candidate(C)], lowB))).toEqual([C])
    expect(ids(eligibleCandidates(research, [candidate(B), candidate(C)], lowB))).toEqual([B, C])
  })

  it('lets the producer verify its own work when the only other verifier is low-trust (as with no other verifier)', () => {
    expect(ids(eligibleCandidates(verify, [candidate(A), candidate(B)], lowB))).toEqual([A])
    expect(ids(eligibleCandidates(verify, [candidate(A), candidate(B)]))).toEqual([B])
  })
})

describe('rankCandidates with a reputation', () => {
  it('ranks low-trust keys last, even when visible and fastest', () => {
    const cs = [candidate(B, { tokensPerSec: 500 }), candidate(C, { tokensPerSec: 5, visible: false }), candidate(D, { tokensPerSec: 20 })]
    expect(ids(rankCandidates(research, cs, lowB))).toEqual([D, C, B])
    expect(ids(rankCandidates(research, cs))).toEqual([B, D, C])
  })

  it('keeps the order among trusted keys unchanged', () => {
    const cs = [A, C, D].map((n) => candidate(n))
    expect(ids(rankCandidates(research, cs, lowB))).toEqual(ids(rankCandidates(research, cs)))
  })
})

describe('chooseTask with a reputation', () => {
  const input = (list: ReturnType<typeof derived>[], self: Candidate, others: Candidate[], reputation?: Reputation, now = 1000) => ({
    derived: boardOf(list),
    self,
    others,
    readySince: (_: TaskId, __: number) => 1000,
    now,
    delta: 300,
    reputation,
  })

  it('a low-trust self does not pick a verify task, however long it waits', () => {
    expect(chooseTask(input([verify], candidate(B), [], lowB, 1_000_000))).toEqual({ choice: null, wakeInMs: null })
    expect(chooseTask(input([verify], candidate(B), [])).choice?.taskId, 'without reputation it would').toBe(verify.task.id)
  })

  it('a low-trust self still takes other work, after every trusted peer (it is the last backup)', () => {
    const self = candidate(B, { tokensPerSec: 500 })
    const peer = candidate(C, { tokensPerSec: 5 })
    expect(chooseTask(input([research], self, [peer], lowB))).toEqual({ choice: null, wakeInMs: 300 })
    expect(chooseTask(input([research], self, [peer], lowB, 1300)).choice?.taskId).toBe(research.task.id)
    expect(chooseTask(input([research], peer, [self], lowB)).choice?.taskId, 'the trusted peer is assigned at once').toBe(research.task.id)
  })

  it('a trusted self picks the verify task a low-trust peer would otherwise have been assigned', () => {
    const fastLow = candidate(B, { tokensPerSec: 500 })
    const me = candidate(C as NodeId, { tokensPerSec: 5 })
    expect(chooseTask(input([verify], me, [fastLow], lowB)).choice).toEqual({ taskId: verify.task.id, attempt: 1, contested: false })
    expect(chooseTask(input([verify], me, [fastLow])).choice, 'without reputation the fast peer gets it').toBeNull()
  })
})
