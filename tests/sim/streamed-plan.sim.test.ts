/**
 * Seeded simulations of streamed plans (6-step plans, the realistic reply
 * lengths): research starts while the plan is still being written, and the
 * invariants hold when the planner's tab is killed mid-stream, alongside
 * random kills and partitions. A failure names its seed:
 * STREAM_SEED=<seed> npx vitest run tests/sim/streamed-plan.sim.test.ts
 */
import { describe, expect, it } from 'vitest'
import type { TaskId } from '../../src/board/dag-schema'
import { deriveBoard, isTerminal, splitOrigin } from '../../src/scheduler/derive'
import { SwarmSim, type SimNode } from './swarm-harness'

const PROMPT = 'Compare three ways to store energy from solar panels for a village'
const author = (n: SimNode) => ({ id: n.id, name: n.name, createdAt: 0 })

async function runUntil(sim: SwarmSim, done: () => boolean, maxVirtualMs: number): Promise<void> {
  const end = sim.clock.now() + maxVirtualMs
  while (!done() && sim.clock.now() < end) await sim.clock.advance(100)
}

const rootDone = (sim: SwarmSim, root: TaskId) => () => sim.alive().every((n) => isTerminal(deriveBoard(n.board.snapshot()).get(root)?.status ?? 'pending'))

function summary(node: SimNode): string {
  return JSON.stringify([...deriveBoard(node.board.snapshot()).values()].map((d) => [d.task.id, d.status, d.attempt, d.superseded, d.accepted?.key ?? null]).sort())
}

/** Invariants 1–3 on every alive replica, plus: the accepted plan's steps are exactly what its result says. */
function checkInvariants(sim: SwarmSim, root: TaskId): void {
  const alive = sim.alive()
  const first = summary(alive[0]!)
  for (const n of alive) {
    const derived = deriveBoard(n.board.snapshot())
    const r = derived.get(root)!
    expect(r.status, `root on ${n.name}`).toBe('done')
    expect(r.accepted?.result.text).toBeTruthy()
    for (const d of derived.values()) if (!d.superseded && d.status === 'failed') expect(d.failure).toBeTruthy()
    const plan = [...derived.values()].find((d) => d.task.kind === 'plan' && d.task.rootId === root)!
    const steps = JSON.parse(plan.accepted!.result.text).steps as unknown[]
    const counted = [...derived.values()].filter((d) => d.task.kind === 'research' && !d.superseded && d.task.rootId === root)
    expect(counted.length, 'counted steps = steps of the accepted plan').toBe(steps.length)
    for (const d of counted) expect(splitOrigin(d.task.origin!)[1]).toBe(plan.accepted!.key)
    expect(summary(n), `replica ${n.name} converges`).toBe(first)
  }
  const connected = sim.overlaps.filter((o) => o.at > sim.lastDisturbance + 10_000)
  expect(connected, 'two executors for one attempt while the mesh was connected').toEqual([])
}

/** The node running the plan once every peer has at least `minSteps` of its streamed steps (or null if the plan finished first). */
async function plannerMidStream(sim: SwarmSim, minSteps: number): Promise<SimNode | null> {
  let found: SimNode | null = null
  await runUntil(
    sim,
    () => {
      const planner = sim.alive().find((n) => n.scheduler?.current()?.taskId.endsWith('-plan'))
      if (!planner) return sim.alive().some((n) => [...deriveBoard(n.board.snapshot()).values()].some((d) => d.task.kind === 'plan' && d.status === 'done'))
      // Counted where peers can see them: steps still in flight die with the planner's links.
      const seenBy = (n: SimNode) => n.board.snapshot().filter((t) => t.kind === 'research' && t.origin?.includes(`:${planner.id}`)).length
      const streamed = Math.min(...sim.alive().filter((n) => n !== planner).map(seenBy))
      if (streamed >= minSteps) found = planner
      return found !== null
    },
    120_000,
  )
  return found
}

/** Virtual time costs real CPU: a whole 6-step task takes ~20 s of wall time on a busy 2-core machine. */
const SIM_TIMEOUT_MS = 240_000
const SEEDS = process.env.STREAM_SEED ? [Number(process.env.STREAM_SEED)] : Array.from({ length: 10 }, (_, i) => 101 + i)

describe('streamed plans in the seeded swarm', () => {
  it('starts research on step 1 while the plan has no result yet', async () => {
    const sim = new SwarmSim(7, {}, 20, true, { planSteps: 6 })
    for (let i = 0; i < 3; i++) await sim.start(sim.addNode())
    const root = sim.nodes[0]!.board.submit(PROMPT, author(sim.nodes[0]!)).id
    let early = false
    await runUntil(
      sim,
      () => {
        const derived = deriveBoard(sim.nodes[0]!.board.snapshot())
        const plan = [...derived.values()].find((d) => d.task.kind === 'plan')!
        const step1 = [...derived.values()].find((d) => d.task.kind === 'research' && d.task.id.endsWith('-s1'))
        if (plan.task.results.size === 0 && step1 && step1.task.leases.size > 0) early = true
        return early || plan.task.results.size > 0
      },
      120_000,
    )
    expect(early, 'a lease on step 1 while the plan had no result').toBe(true)
    await runUntil(sim, rootDone(sim, root), 600_000)
    checkInvariants(sim, root)
  }, SIM_TIMEOUT_MS)

  for (const seed of SEEDS) {
    const scenario = { seed, nodes: 3 + (seed % 3), partition: seed % 3 === 0, secondKill: seed % 4 === 1 }
    it(`planner killed mid-stream, seed ${seed}: ${JSON.stringify(scenario)}`, async () => {
      const sim = new SwarmSim(seed, {}, 20, false, { planSteps: 4 + (seed % 5) })
      for (let i = 0; i < scenario.nodes; i++) await sim.start(sim.addNode())
      const submitter = sim.nodes[Math.floor(sim.random.next() * sim.nodes.length)]!
      const root = submitter.board.submit(PROMPT, author(submitter)).id
      try {
        const planner = await plannerMidStream(sim, 1 + (seed % 3))
        expect(planner, 'the planner was caught mid-stream').not.toBeNull()
        const orphanKey = `1:${planner!.id}`
        sim.kill(planner!)
        if (scenario.partition) {
          await sim.clock.advance(500 + Math.floor(sim.random.next() * 2_000))
          const alive = sim.alive()
          sim.partition(alive.slice(0, Math.ceil(alive.length / 2)))
          await sim.clock.advance(3_000 + Math.floor(sim.random.next() * 6_000))
          sim.healAll()
        }
        if (scenario.secondKill) {
          await sim.clock.advance(2_000 + Math.floor(sim.random.next() * 8_000))
          const busy = sim.alive().filter((n) => n.scheduler?.current())
          const victim = busy[Math.floor(sim.random.next() * busy.length)]
          if (victim && sim.alive().length > 2) sim.kill(victim)
        }
        sim.healAll()
        await runUntil(sim, rootDone(sim, root), 900_000)
        await sim.clock.advance(2_000)
        checkInvariants(sim, root)
        // The dead planner's streamed steps never count: the plan was made again by another tab.
        const derived = deriveBoard(sim.alive()[0]!.board.snapshot())
        const orphans = [...derived.values()].filter((d) => d.task.origin?.endsWith(orphanKey))
        expect(orphans.length, 'the killed planner had published steps').toBeGreaterThan(0)
        for (const o of orphans) expect(o.superseded, `${o.task.id} from the dead planner`).toBe(true)
        const plan = [...derived.values()].find((d) => d.task.kind === 'plan')!
        expect(plan.accepted?.result.provenance.node).not.toBe(planner!.id)
      } catch (err) {
        throw new Error(`streamed-plan invariant broken with seed ${seed} (replay: STREAM_SEED=${seed} npx vitest run tests/sim/streamed-plan.sim.test.ts): ${(err as Error).message}`)
      }
    }, SIM_TIMEOUT_MS)
  }
})
