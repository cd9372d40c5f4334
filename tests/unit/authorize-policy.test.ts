/**
 * The policy side of "winners of ended attempts are passed over": a task held
 * by such a winner (contestable) is open to other nodes' claims when that
 * winner shows no presence, and is not requeued (which would burn an attempt)
 * when it is gone. Pure, with derived tasks from the real derivation.
 */
import { describe, expect, it } from 'vitest'
import type { TaskId } from '../../src/board/dag-schema'
import type { DerivedTask } from '../../src/scheduler/derive'
import { chooseTask, findAbandoned } from '../../src/scheduler/policy'
import { A, B, boardOf, candidate, claim, deriveOne, lease, nid, requeue, staticTask, tid } from './task-fixtures'

const H = nid('node-hhhh-6666')
const T = tid('task-0001')
const task = staticTask({ id: T, kind: 'synthesize', role: 'synthesizer' })
// H won attempt 1, let it go stale, and claimed attempt 2 before anyone else.
const heldAgain = deriveOne(task, { claims: [claim(H, 1), claim(H, 2)], requeues: [requeue(1, { cause: 'claim-stale', by: B, lastBeat: -1 })] })
const leasedAgain = deriveOne(task, { claims: [claim(H, 1), claim(H, 2)], leases: [lease(H, 2, 4)], requeues: [requeue(1, { cause: 'claim-stale', by: B, lastBeat: -1 })] })
const firstHold = deriveOne(task, { claims: [claim(H, 1)] })

const choose = (list: DerivedTask[], self = candidate(A), others = [candidate(B)]) =>
  chooseTask({ derived: boardOf(list), self, others, readySince: (_: TaskId, __: number) => 0, now: 10_000, delta: 300 })

describe('contestable tasks', () => {
  it('marks a task claimed or running by a winner of an earlier ended attempt, and only that', () => {
    expect(heldAgain).toMatchObject({ status: 'claimed', attempt: 2, winner: H, contestable: true })
    expect(leasedAgain).toMatchObject({ status: 'running', attempt: 2, winner: H, contestable: true })
    expect(firstHold.contestable).toBeUndefined()
  })

  it('offers it to claim when its winner has no presence, claimed or leased', () => {
    expect(choose([heldAgain]).choice).toMatchObject({ taskId: T, attempt: 2 })
    expect(choose([leasedAgain]).choice).toMatchObject({ taskId: T, attempt: 2 })
  })

  it('leaves it to its winner when the winner is present, or is this node, and never offers a first hold', () => {
    const heldByB = deriveOne(task, { claims: [claim(B, 1), claim(B, 2)], requeues: [requeue(1, { by: B })] })
    expect(heldByB.contestable).toBe(true)
    expect(choose([heldByB]).choice, 'B is in the room: it may retry').toBeNull()
    expect(choose([heldByB], candidate(B), [candidate(A)]).choice, 'its own hold').toBeNull()
    expect(choose([firstHold]).choice).toBeNull()
  })

  it('is not requeued when its winner is gone: the next claim outranks it without burning an attempt', () => {
    const liveness = (d: DerivedTask) =>
      findAbandoned({ derived: boardOf([d]), selfId: A, isAlive: () => false, isMine: () => false, quietSince: () => 0, now: 1, leaseTimeoutMs: 5000, claimTimeoutMs: 2000 })
    expect(liveness(heldAgain)).toEqual([])
    expect(liveness(leasedAgain)).toEqual([])
    expect(liveness(firstHold)).toMatchObject([{ taskId: T, attempt: 1, cause: 'claim-stale', lastBeat: -1 }])
  })

  it('still times out a contestable winner that is present but never starts', () => {
    const out = findAbandoned({ derived: boardOf([heldAgain]), selfId: A, isAlive: () => true, isMine: () => false, quietSince: () => 0, now: 10_000, leaseTimeoutMs: 5000, claimTimeoutMs: 2000 })
    expect(out).toMatchObject([{ taskId: T, attempt: 2, cause: 'claim-stale', lastBeat: -1 }])
  })
})
