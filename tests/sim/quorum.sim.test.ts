/**
 * Quorum verification in the seeded swarm: public tasks on 3 and 4 tabs get a
 * quorum of 2 (quorum.ts). Every task must still end done, every step that
 * passed must carry passing verdicts from 2 different keys other than its
 * producer, and in a room of 3 a split vote must still be broken (the
 * tiebreak may fall to a voter there; nobody else is left).
 * Replay one seed: QUORUM_SEED=<seed> npx vitest run tests/sim/quorum.sim.test.ts
 */
import { describe, expect, it } from 'vitest'
import { setLogLevel } from '../../src/log'
import { deriveBoard, isTerminal } from '../../src/scheduler/derive'
import { SwarmSim } from './swarm-harness'

const SEEDS = process.env.QUORUM_SEED ? [Number(process.env.QUORUM_SEED)] : [1, 2, 3, 4, 5, 6, 7, 8]

describe('quorum verification in the seeded swarm', () => {
  setLogLevel('warn')
  for (const nodes of [3, 4]) {
    for (const seed of SEEDS) {
      it(`${nodes} tabs, seed ${seed}`, async () => {
        const sim = new SwarmSim(seed, {}, 40, false, { planSteps: 3, lengths: { plan: 60, research: 40, verify: 12, synthesize: 60 } })
        sim.quorum = true
        for (let i = 0; i < nodes; i++) await sim.start(sim.addNode())
        await sim.clock.advance(1_000)
        const author = sim.nodes[0]!
        const root = author.board.submit('Compare three sorting algorithms', { id: author.id, name: author.name, createdAt: 0 })
        const end = sim.clock.now() + 600_000
        const done = () => sim.honest().every((n) => isTerminal(deriveBoard(n.board.snapshot()).get(root.id)?.status ?? 'pending'))
        while (!done() && sim.clock.now() < end) await sim.clock.advance(250)
        const where = `replay: QUORUM_SEED=${seed} npx vitest run tests/sim/quorum.sim.test.ts (${nodes} tabs)`
        const derived = deriveBoard(author.board.snapshot())
        expect(derived.get(root.id)?.task.quorum, where).toBe(2)
        expect(derived.get(root.id)?.status, `${where}: ${derived.get(root.id)?.failure ?? ''}`).toBe('done')
        let passedSteps = 0
        for (const d of derived.values()) {
          if (d.task.kind !== 'research' || d.superseded || d.verification !== 'passed') continue
          passedSteps++
          const key = d.accepted!.key
          const producer = d.accepted!.result.provenance.node
          const passes = [...derived.values()].filter((v) => v.task.verifies?.taskId === d.task.id && v.task.verifies.resultKey === key && v.accepted?.result.verdict === 'pass')
          const signers = new Set(passes.map((v) => v.accepted!.result.provenance.node))
          expect(signers.has(producer), `${where}: the producer passed its own step`).toBe(false)
          // "passed" needs the quorum's 2 different keys, none the producer (quorumOutcome), in a room of 3 as of 4.
          expect(signers.size, `${where}: step ${d.task.id} passed by ${signers.size} key(s)`).toBeGreaterThanOrEqual(2)
          expect(passes.length, where).toBeGreaterThanOrEqual(2)
        }
        expect(passedSteps, `${where}: no step passed its quorum, so nothing above was checked`).toBeGreaterThan(0)
      }, 60_000)
    }
  }

  for (const seed of SEEDS.slice(0, 4)) {
    it(`a room of 3 that shrinks to 2 mid-task still answers (seed ${seed}); steps nobody else could verify say "unverified"`, async () => {
      const sim = new SwarmSim(seed, {}, 40, false, { planSteps: 3, lengths: { plan: 60, research: 40, verify: 12, synthesize: 60 } })
      sim.quorum = true
      for (let i = 0; i < 3; i++) await sim.start(sim.addNode())
      await sim.clock.advance(1_000)
      const author = sim.nodes[0]!
      const root = author.board.submit('Compare three sorting algorithms', { id: author.id, name: author.name, createdAt: 0 })
      const planned = () => [...deriveBoard(author.board.snapshot()).values()].some((d) => d.task.kind === 'research' && d.status !== 'pending')
      while (!planned()) await sim.clock.advance(100)
      sim.kill(sim.nodes[2]!)
      const end = sim.clock.now() + 600_000
      const done = () => sim.alive().every((n) => isTerminal(deriveBoard(n.board.snapshot()).get(root.id)?.status ?? 'pending'))
      while (!done() && sim.clock.now() < end) await sim.clock.advance(250)
      const d = deriveBoard(author.board.snapshot()).get(root.id)
      expect(d?.status, `replay: QUORUM_SEED=${seed} (shrinking room): ${d?.failure ?? ''}`).toBe('done')
    }, 60_000)
  }
})
