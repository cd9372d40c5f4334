/**
 * Seeded simulation with hostile nodes (shared by hostile-*.sim.test.ts, which
 * split the 100 seeds so vitest runs them side by side): 8 nodes, of which 1 or 2 attack the
 * board (hostile-actor.ts: forging under other ids, erasing, overwriting,
 * voting pass on everything, inflating the ledger, spamming requeues,
 * flooding junk, equivocating) while the honest ones work. Must hold on every
 * seed: no forged result accepted, no task lost, honest replicas converge,
 * and the ledger credits only work its readers can check.
 * Replay one seed: npx vitest run tests/sim/hostile -t "seed <seed>$"
 */
import { describe, expect, it } from 'vitest'
import { setLogLevel } from '../../src/log'
import { seededRandom } from '../../src/clock'
import { computeLedger } from '../../src/scheduler/ledger'
import { deriveBoard, isTerminal } from '../../src/scheduler/derive'
import { summary } from '../unit/task-fixtures'
import { ALL_BEHAVIOURS, FORGED, HostileActor, type HostileBehaviour } from './hostile-actor'
import { SwarmSim, type SimNode } from './swarm-harness'

const PROMPTS = ['Compare three sorting algorithms', 'Explain how vaccines train the immune system']

async function runUntil(sim: SwarmSim, done: () => boolean, maxVirtualMs: number): Promise<void> {
  const end = sim.clock.now() + maxVirtualMs
  while (!done() && sim.clock.now() < end) await sim.clock.advance(250)
}

const rootsDone = (sim: SwarmSim, roots: number) => () =>
  sim.honest().every((n) => {
    const rs = [...deriveBoard(n.board.snapshot()).values()].filter((d) => d.task.kind === 'root')
    return rs.length === roots && rs.every((d) => isTerminal(d.status))
  })

interface Outcome {
  readonly sim: SwarmSim
  readonly hostiles: SimNode[]
  readonly behaviours: HostileBehaviour[][]
  readonly roots: number
}

async function run(seed: number): Promise<Outcome> {
  const rnd = seededRandom(seed)
  // The realistic profile is long; 3-step plans keep 100 seeds quick while every stage still runs.
  const sim = new SwarmSim(seed, {}, 40, false, { planSteps: 3, lengths: { plan: 60, research: 40, verify: 12, synthesize: 60 } })
  // Public tasks with the app's quorum rule: 2 verifiers, from the keys the submitter had seen.
  sim.quorum = true
  const hostileCount = 1 + Math.floor(rnd.next() * 2)
  const hostiles: SimNode[] = []
  const behaviours: HostileBehaviour[][] = []
  for (let i = 0; i < 8; i++) {
    if (i < hostileCount) hostiles.push(sim.addNode({ hostile: true }))
    else await sim.start(sim.addNode())
  }
  for (const h of hostiles) {
    // Each hostile node picks its own mix; equivocating gets a key distrusted, so it is only sometimes part of it.
    const mine = ALL_BEHAVIOURS.filter((b) => (b === 'equivocate' ? rnd.next() < 0.3 : rnd.next() < 0.7))
    behaviours.push(mine)
    new HostileActor(h, mine, seededRandom(seed * 7 + h.index), () => sim.honest().map((n) => n.id)).run(sim.clock, 800 + Math.floor(rnd.next() * 800))
  }
  const roots = 1 + Math.floor(rnd.next() * 2)
  await sim.clock.advance(1_000) // presence arrives: a submitter that sees its peers gives its task a quorum
  for (let r = 0; r < roots; r++) {
    const author = sim.honest()[Math.floor(rnd.next() * sim.honest().length)]!
    author.board.submit(PROMPTS[r]!, { id: author.id, name: author.name, createdAt: 0 })
    await sim.clock.advance(Math.floor(rnd.next() * 800))
  }
  await runUntil(sim, rootsDone(sim, roots), 600_000)
  await sim.clock.advance(2_000)
  return { sim, hostiles, behaviours, roots }
}

function check({ sim, hostiles, roots }: Outcome): void {
  const hostileIds = new Set(hostiles.map((h) => h.id))
  const honest = sim.honest()
  const boards = honest.map((n) => deriveBoard(n.board.snapshot()))
  // 0 tasks lost: every root on every honest replica, and answered.
  for (const derived of boards) {
    const rs = [...derived.values()].filter((d) => d.task.kind === 'root')
    expect(rs, 'every submitted task is on every honest replica').toHaveLength(roots)
    for (const r of rs) expect(r.status, `root ${r.task.id}: ${r.failure ?? ''}`).toBe('done')
    for (const r of rs) expect(r.task.quorum, 'public tasks get a quorum of 2 among 6 or more honest tabs').toBe(2)
  }
  // 0 forged results accepted: nothing a hostile wrote is an accepted answer, plan or step.
  for (const derived of boards) {
    for (const d of derived.values()) {
      if (!d.accepted || d.superseded) continue
      if (d.task.kind !== 'verify') {
        expect(d.accepted.result.text, `${d.task.kind} ${d.task.id}`).not.toContain(FORGED)
        expect(hostileIds.has(d.accepted.result.provenance.node), `${d.task.kind} ${d.task.id} accepted from a hostile node`).toBe(false)
      }
    }
    for (const t of derived.values()) expect(t.task.title).not.toContain(FORGED)
  }
  // Honest replicas converge.
  const first = JSON.stringify(summary(boards[0]!))
  for (const [i, b] of boards.entries()) expect(JSON.stringify(summary(b)), `honest replica ${i}`).toBe(first)
  // The ledger credits only accepted work, and no more tokens than the accepted text's bytes (ledger.ts).
  const ledger = computeLedger(boards[0]!.values())
  for (const row of ledger) {
    const accepted = [...boards[0]!.values()].filter((d) => d.accepted && !d.superseded && d.task.kind !== 'root' && d.accepted.result.provenance.node === row.node)
    expect(row.tasks, `ledger tasks of ${row.node}`).toBe(accepted.length)
    const bytes = accepted.reduce((n, d) => n + new TextEncoder().encode(d.accepted!.result.text).length, 0)
    expect(row.tokens, `ledger tokens of ${row.node} (${hostileIds.has(row.node as never) ? 'hostile' : 'honest'})`).toBeLessThanOrEqual(bytes)
    if (hostileIds.has(row.node as never)) expect(accepted.every((d) => d.task.kind === 'verify'), 'a hostile node is credited only for verdicts it won').toBe(true)
  }
}

/** Seeds `first` … `first + count - 1`; replay one with vitest's own filter: -t "seed <n>$". */
export function hostileSuite(name: string, first: number, count: number): void {
  setLogLevel('warn') // every repair is logged at info; 100 seeds of it drown the report
  const seeds = Array.from({ length: count }, (_, i) => first + i)
  describe(`seeded swarm with hostile nodes (${name})`, () => {
    for (const seed of seeds) {
      it(`seed ${seed}`, async () => {
        const outcome = await run(seed)
        try {
          check(outcome)
        } catch (err) {
          const detail = outcome.behaviours.map((b, i) => `hostile ${i}: ${b.join(', ')}`).join('; ')
          throw new Error(`hostile invariant broken with seed ${seed} (replay: npx vitest run tests/sim/hostile -t "seed ${seed}$") [${detail}]: ${err instanceof Error ? err.message : String(err)}`)
        }
      }, 120_000)
    }
  })
}

