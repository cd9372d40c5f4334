/**
 * The scheduler side of requeue authorization, in the seeded swarm harness
 * (real Y.Docs, Boards and SwarmSchedulers on a virtual clock): requeues carry
 * the winner's last beat, and a live holder or claimant does not give up an
 * attempt because a hostile tab wrote a requeue that its next lease refutes.
 */
import { describe, expect, it } from 'vitest'
import type { TaskId } from '../../src/board/dag-schema'
import type { NodeId } from '../../src/mesh/protocol'
import { addressOf, recordFields, type BoardRecord } from '../../src/board/record-codec'
import { signEnvelope } from '../../src/trust/envelope'
import { deriveBoard, isTerminal, type DerivedTask } from '../../src/scheduler/derive'
import { SIM_ROOM, SwarmSim, type SimNode } from '../sim/swarm-harness'

/** The hostile tab of each swarm: signs with its own key, writes raw into its doc, publishes no presence. */
let hostile: SimNode
let H: NodeId

async function asHostile(record: BoardRecord): Promise<void> {
  const s = await signEnvelope(hostile.signer, recordFields(SIM_ROOM, record, 1))
  hostile.doc.getMap('records').set(addressOf(s.envelope, s.hash), s.text)
}
const AUTHOR = (n: SimNode) => ({ id: n.id, name: n.name, createdAt: 0 })

async function until(sim: SwarmSim, done: () => boolean, maxMs: number, stepMs = 50): Promise<void> {
  const end = sim.clock.now() + maxMs
  while (!done() && sim.clock.now() < end) await sim.clock.advance(stepMs)
  if (!done()) throw new Error(`condition not reached within ${maxMs} ms of virtual time`)
}

const derivedOn = (n: SimNode, id: string): DerivedTask | undefined => deriveBoard(n.board.snapshot()).get(id as TaskId)
const rootsDone = (sim: SwarmSim) => sim.honest().every((n) => [...deriveBoard(n.board.snapshot()).values()].filter((d) => d.task.kind === 'root').every((d) => isTerminal(d.status)))

async function swarm(seed: number, nodes: number, tokensPerSec = 10): Promise<SwarmSim> {
  const sim = new SwarmSim(seed, {}, tokensPerSec) // slow by default: runs span many beats
  for (let i = 0; i < nodes; i++) await sim.start(sim.addNode())
  hostile = sim.addNode({ hostile: true })
  H = hostile.id
  await sim.clock.advance(1_000) // presence arrives, so the root lists the honest tabs its submitter sees
  sim.nodes[0]!.board.submit('Write a short history of the bicycle', AUTHOR(sim.nodes[0]!))
  return sim
}

describe('requeue authorization in the running swarm', () => {
  it('a live holder keeps its attempt when a hostile tab requeues it with its current beat, and finishes it', async () => {
    const sim = await swarm(7, 2)
    let holder: SimNode | undefined
    await until(sim, () => (holder = sim.honest().find((n) => n.scheduler?.current())) !== undefined && beatOf(holder) >= 2, 60_000)
    const run = holder!.scheduler!.current()!
    const beat = beatOf(holder!)
    await asHostile({ type: 'requeue', taskId: run.taskId as TaskId, requeue: { attempt: run.attempt, cause: 'holder-lost', reason: 'forged: the holder is alive', by: H, lastBeat: beat } })
    // It counts once it arrives: the holder's newest beat is exactly the one the requeue names.
    await until(sim, () => derivedOn(holder!, run.taskId)?.attempt === run.attempt + 1, 2_000, 5)
    const seenBeat = (n: SimNode) => n.board.snapshot().find((x) => x.id === run.taskId)?.leases.get(`${run.attempt}:${holder!.id}`)?.beat ?? -1
    await until(sim, () => sim.honest().every((n) => seenBeat(n) > beat), 10_000, 10)
    expect(holder!.scheduler!.current(), 'the holder did not abort its run').toEqual(run)
    for (const n of sim.honest()) expect(derivedOn(n, run.taskId)?.attempt, `${n.name}: the next beat refuted the requeue`).toBe(run.attempt)
    await until(sim, () => rootsDone(sim), 600_000, 250)
    const d = derivedOn(sim.nodes[1]!, run.taskId)!
    expect(d.accepted?.key).toBe(`${run.attempt}:${holder!.id}`)

    function beatOf(n: SimNode): number {
      const cur = n.scheduler?.current()
      const t = cur && n.board.snapshot().find((x) => x.id === cur.taskId)
      return (cur && t?.leases.get(`${cur.attempt}:${n.id}`)?.beat) ?? -1
    }
  })

  it('a claimant leases the attempt it won although a hostile claim-stale requeue ended it during its settle', async () => {
    const sim = await swarm(11, 2)
    let claimed: { node: SimNode; d: DerivedTask } | undefined
    await until(sim, () => {
      for (const n of sim.honest()) {
        const d = [...deriveBoard(n.board.snapshot()).values()].find((x) => x.status === 'claimed' && x.winner === n.id && !n.scheduler?.current())
        if (d) return (claimed = { node: n, d }) !== undefined
      }
      return false
    }, 60_000, 10)
    const { node, d } = claimed!
    await asHostile({ type: 'requeue', taskId: d.task.id, requeue: { attempt: d.attempt, cause: 'claim-stale', reason: 'forged: the claim is seconds old', by: H, lastBeat: -1 } })
    await until(sim, () => derivedOn(node, d.task.id)?.attempt === d.attempt + 1 || (derivedOn(node, d.task.id)?.task.leases.size ?? 0) > 0, 2_000, 5)
    await until(sim, () => node.scheduler?.current()?.taskId === d.task.id, 5_000, 10)
    expect(node.scheduler!.current()).toEqual({ taskId: d.task.id, attempt: d.attempt })
    expect(derivedOn(node, d.task.id)).toMatchObject({ status: 'running', attempt: d.attempt, winner: node.id })
    await until(sim, () => rootsDone(sim), 600_000, 250)
  })

  it('the survivor of a killed holder writes the holder\'s last beat it saw, and that requeue counts', async () => {
    const sim = await swarm(99, 3)
    let victim: SimNode | undefined
    await until(sim, () => (victim = sim.honest().find((n) => n.scheduler?.current())) !== undefined, 30_000)
    const run = victim!.scheduler!.current()!
    await sim.clock.advance(3_000) // a few beats reach the others
    sim.kill(victim!)
    const survivor = sim.alive()[0]!
    const requeueOf = () => [...(survivor.board.snapshot().find((t) => t.id === run.taskId)?.requeues.values() ?? [])].find((q) => q.attempt === run.attempt)
    await until(sim, () => requeueOf() !== undefined, 30_000, 250)
    const q = requeueOf()!
    const seen = survivor.board.snapshot().find((t) => t.id === run.taskId)!.leases.get(`${run.attempt}:${victim!.id}`)?.beat ?? -1
    expect(q.lastBeat).toBe(seen)
    expect(seen, 'the victim had beaten before it died').toBeGreaterThan(0)
    expect(derivedOn(survivor, run.taskId)!.attempt).toBeGreaterThan(run.attempt)
    await until(sim, () => rootsDone(sim), 600_000, 250)
  })

  it('a tab without presence that claims every ready task first, and never starts, never wins an attempt and fails nothing', async () => {
    for (const seed of [1, 4]) {
      const sim = await swarm(seed, 3, 40)
      const n0 = sim.nodes[0]!
      const end = sim.clock.now() + 300_000
      while (!rootsDone(sim) && sim.clock.now() < end) {
        for (const d of deriveBoard(n0.board.snapshot()).values()) {
          const mine = [...d.task.claims.values()].some((c) => c.node === H && c.attempt === d.attempt)
          if (d.status === 'ready' && d.task.role && !d.superseded && !mine) await asHostile({ type: 'claim', taskId: d.task.id, claim: { node: H, name: 'claims-everything', attempt: d.attempt } })
        }
        await sim.clock.advance(100)
      }
      const derived = [...deriveBoard(sim.nodes[1]!.board.snapshot()).values()].filter((d) => !d.superseded)
      const where = `seed ${seed}`
      expect(derived.filter((d) => d.task.kind === 'root').map((d) => d.status), where).toEqual(['done'])
      expect(derived.filter((d) => d.status === 'failed').map((d) => d.task.id), where).toEqual([])
      for (const d of derived.filter((x) => x.task.kind === 'research')) expect(d.verification, `${where}: ${d.task.id}`).toBe('passed')
      // It did claim (the test is not vacuous), and never won: every task's root lists the keys its
      // submitter had seen, and they outrank a key that publishes no presence (authorize.ts).
      expect(derived.some((d) => [...d.task.claims.values()].some((c) => c.node === H)), where).toBe(true)
      expect(derived.filter((d) => d.authorized?.winners.includes(H)).map((d) => `${d.task.kind} ${d.task.id}`), where).toEqual([])
    }
  })
})
