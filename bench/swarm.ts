/**
 * Swarm benchmarks (part of `npm run bench`), reported as ratios measured
 * side by side in one run:
 *  1. speed-up: virtual time for the same task (same seed, same simulated
 *     engine speed) answered by 1, 2, 3 and 5 nodes. Virtual time from the
 *     seeded simulation (tests/sim) is exactly repeatable: it measures the
 *     scheduling policy, not this machine's load;
 *  2. bookkeeping cost: wall time of one scheduler pass (snapshot + derive)
 *     over boards of growing size, relative to a one-task board.
 */
import { performance } from 'node:perf_hooks'
import { deriveBoard, isTerminal } from '../src/scheduler/derive'
import { SwarmSim } from '../tests/sim/swarm-harness'

const PROMPT = 'Compare three ways to store energy from solar panels for a village'

async function timeToAnswer(nodes: number, seed: number): Promise<{ ms: number; executors: number }> {
  const sim = new SwarmSim(seed, {}, 20, true)
  for (let i = 0; i < nodes; i++) await sim.start(sim.addNode())
  const author = sim.nodes[0]!
  const started = sim.clock.now()
  author.board.submit(PROMPT, { id: author.id, name: author.name, createdAt: 0 })
  const rootDone = (): boolean => [...deriveBoard(author.board.snapshot()).values()].some((d) => d.task.kind === 'root' && isTerminal(d.status))
  while (!rootDone() && sim.clock.now() - started < 3_600_000) await sim.clock.advance(250)
  const derived = deriveBoard(author.board.snapshot())
  const executors = new Set([...derived.values()].filter((d) => d.accepted && d.task.kind !== 'root').map((d) => d.accepted!.result.provenance.node))
  for (const n of sim.nodes) n.scheduler?.destroy()
  return { ms: sim.clock.now() - started, executors: executors.size }
}

async function boardOf(roots: number): Promise<SwarmSim> {
  const sim = new SwarmSim(7, {}, 400)
  for (let i = 0; i < 3; i++) await sim.start(sim.addNode())
  for (let r = 0; r < roots; r++) sim.nodes[r % 3]!.board.submit(`${PROMPT} (variant ${r})`, { id: sim.nodes[r % 3]!.id, name: 'bench', createdAt: 0 })
  const all = (): boolean => [...deriveBoard(sim.nodes[0]!.board.snapshot()).values()].filter((d) => d.task.kind === 'root').every((d) => isTerminal(d.status))
  while (!all()) await sim.clock.advance(500)
  for (const n of sim.nodes) n.scheduler?.destroy()
  return sim
}

function passMs(sim: SwarmSim, repeats: number): { ms: number; tasks: number } {
  const board = sim.nodes[0]!.board
  const tasks = board.snapshot().length
  const t0 = performance.now()
  for (let i = 0; i < repeats; i++) deriveBoard(board.snapshot())
  return { ms: (performance.now() - t0) / repeats, tasks }
}

export async function benchSwarm(): Promise<string> {
  const lines = ['Swarm speed-up (simulated engine at 20 tok/s, one engine seed for all nodes, seeded virtual time; same task):', '  nodes  time to answer  vs 1 node  tabs that did accepted work']
  const seeds = [11, 12, 13]
  const base: number[] = []
  for (const nodes of [1, 2, 3, 5]) {
    const runs = []
    for (const seed of seeds) runs.push(await timeToAnswer(nodes, seed))
    const mean = runs.reduce((a, r) => a + r.ms, 0) / runs.length
    if (nodes === 1) base.push(mean)
    const executors = runs.map((r) => r.executors).join('/')
    lines.push(`  ${String(nodes).padStart(5)}  ${(mean / 1000).toFixed(1).padStart(12)} s  ${(base[0]! / mean).toFixed(2).padStart(8)}×  ${executors}`)
  }
  lines.push('', 'Scheduler pass cost (snapshot + derive, wall time on this machine):', '  roots  tasks   ms/pass  vs 1 root')
  let one = 0
  for (const roots of [1, 5, 20]) {
    const sim = await boardOf(roots)
    const { ms, tasks } = passMs(sim, 50)
    if (roots === 1) one = ms
    lines.push(`  ${String(roots).padStart(5)}  ${String(tasks).padStart(5)}  ${ms.toFixed(2).padStart(8)}  ${(ms / one).toFixed(1).padStart(8)}×`)
  }
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchSwarm().then((table) => process.stdout.write(`${table}\n`))
}
