/**
 * Swarm benchmarks (part of `npm run bench`), reported as ratios measured
 * side by side in one run. Virtual time from the seeded simulation
 * (tests/sim) is exactly repeatable: it measures the scheduling policy, not
 * this machine's load.
 *  1. one wide task: a 6-step plan with the simulated engine's realistic
 *     reply lengths (src/inference/sim/profile.ts), answered by 1–8 nodes,
 *     against the critical-path bound of the same graph (critical-path.ts);
 *  2. throughput: six tasks submitted at once, 1 node versus 3;
 *  3. bookkeeping cost: wall time of one scheduler pass (snapshot + derive)
 *     over boards of growing size, relative to a one-task board.
 * Then the same workloads in real browsers (bench/swarm-browser.ts).
 */
import { performance } from 'node:perf_hooks'
import type { TaskId } from '../src/board/dag-schema'
import { DEFAULT_SIM_LENGTHS } from '../src/inference/sim'
import { deriveBoard, isTerminal } from '../src/scheduler/derive'
import { SwarmSim } from '../tests/sim/swarm-harness'
import { criticalPathBound, type BoundReport } from './critical-path'
import { createInProcessSimClient } from '../src/inference/in-process-client'
import { plannerMessages } from '../src/roles/prompts'
import { parsePlan, planSchema } from '../src/roles/plan'

export const BENCH_PROMPT = 'Compare three ways to store energy from solar panels for a village'
export const BENCH_PLAN_STEPS = 6
/** Virtual decode speed of every simulated node (a small model on a laptop GPU). */
const TPS = 20

/**
 * Seeds whose plan for the prompt is wide (no chain longer than `maxDepth`
 * steps), found the way tests/e2e/sim-seed.ts finds seeds: the simulated
 * engine is deterministic for (seed, request), so this runs the planner
 * request alone, in Node. The seeded typical plans are measured too.
 */
export async function wideSeeds(count: number, maxDepth: number): Promise<number[]> {
  const out: number[] = []
  for (let seed = 1; out.length < count && seed < 1_000; seed++) {
    const engine = createInProcessSimClient({ seed, tokensPerSec: 100_000, loadMs: 0, planSteps: BENCH_PLAN_STEPS })
    await engine.load('sim-fast', () => {})
    const reply = await engine.generate({ messages: plannerMessages(BENCH_PROMPT), jsonSchema: planSchema(), maxTokens: 700, temperature: 0.3 }, () => {})
    engine.destroy()
    const plan = parsePlan(reply.text)
    if (!plan.ok) continue
    const depth: number[] = []
    for (const step of plan.value.steps) depth.push(1 + Math.max(0, ...step.dependsOn.map((d) => depth[d - 1] ?? 0)))
    if (Math.max(...depth) <= maxDepth) out.push(seed)
  }
  return out
}

interface Run {
  readonly ms: number
  readonly executors: number
  readonly bound: BoundReport
}

async function swarmOf(nodes: number, seed: number): Promise<SwarmSim> {
  const sim = new SwarmSim(seed, {}, TPS, true, { planSteps: BENCH_PLAN_STEPS })
  for (let i = 0; i < nodes; i++) await sim.start(sim.addNode())
  return sim
}

async function timeToAnswer(nodes: number, seed: number): Promise<Run> {
  const sim = await swarmOf(nodes, seed)
  const author = sim.nodes[0]!
  const started = sim.clock.now()
  const root = author.board.submit(BENCH_PROMPT, { id: author.id, name: author.name, createdAt: 0 })
  const rootDone = (): boolean => isTerminal(deriveBoard(author.board.snapshot()).get(root.id)?.status ?? 'pending')
  while (!rootDone() && sim.clock.now() - started < 3_600_000) await sim.clock.advance(50)
  const derived = deriveBoard(author.board.snapshot())
  const executors = new Set([...derived.values()].filter((d) => d.accepted && !d.superseded && d.task.kind !== 'root').map((d) => d.accepted!.result.provenance.node))
  for (const n of sim.nodes) n.scheduler?.destroy()
  return { ms: sim.clock.now() - started, executors: executors.size, bound: criticalPathBound(derived, root.id as TaskId, TPS) }
}

async function throughput(nodes: number, tasks: number, seed: number): Promise<number> {
  const sim = await swarmOf(nodes, seed)
  const started = sim.clock.now()
  for (let r = 0; r < tasks; r++) {
    const author = sim.nodes[r % nodes]!
    author.board.submit(`${BENCH_PROMPT} (variant ${r + 1})`, { id: author.id, name: author.name, createdAt: 0 })
  }
  const allDone = (): boolean => {
    const roots = [...deriveBoard(sim.nodes[0]!.board.snapshot()).values()].filter((d) => d.task.kind === 'root')
    return roots.length === tasks && roots.every((d) => isTerminal(d.status))
  }
  while (!allDone() && sim.clock.now() - started < 3_600_000) await sim.clock.advance(100)
  for (const n of sim.nodes) n.scheduler?.destroy()
  return sim.clock.now() - started
}

async function boardOf(roots: number): Promise<SwarmSim> {
  const sim = new SwarmSim(7, {}, 400)
  for (let i = 0; i < 3; i++) await sim.start(sim.addNode())
  for (let r = 0; r < roots; r++) sim.nodes[r % 3]!.board.submit(`${BENCH_PROMPT} (variant ${r})`, { id: sim.nodes[r % 3]!.id, name: 'bench', createdAt: 0 })
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

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

async function speedupTable(title: string, seeds: readonly number[]): Promise<string[]> {
  const lines = [title, '  nodes  time to answer   bound  vs 1 node  of bound  tabs with accepted work']
  const shapes = new Set<string>()
  let one = 0
  for (const nodes of [1, 2, 3, 4, 8]) {
    const runs: Run[] = []
    for (const seed of seeds) runs.push(await timeToAnswer(nodes, seed))
    const t = mean(runs.map((r) => r.ms))
    const bound = mean(runs.map((r) => r.bound.bound))
    const eff = mean(runs.map((r) => r.bound.bound / r.ms))
    if (nodes === 1) one = t
    for (const r of runs) shapes.add(`${r.bound.steps} steps, ${r.bound.edges} dependencies, depth ${r.bound.depth}`)
    lines.push(
      `  ${String(nodes).padStart(5)}  ${s(t).padStart(14)}  ${s(bound).padStart(6)}  ${`${(one / t).toFixed(2)}×`.padStart(9)}  ${eff.toFixed(2).padStart(8)}  ${runs.map((r) => r.executors).join('/')}`,
    )
  }
  lines.push(`  graphs (seeds ${seeds.join(', ')}): ${[...shapes].join('; ')}`)
  return lines
}

export async function benchSwarm(): Promise<string> {
  const profile = Object.entries(DEFAULT_SIM_LENGTHS).map(([r, n]) => `${r} ${n}`).join(', ')
  const lines = [
    `Simulated engine at ${TPS} tok/s on every node, reply lengths (tokens) ${profile}, ${BENCH_PLAN_STEPS}-step plans; seeded virtual time, means over 3 seeds.`,
    'Bound = critical path of the same graph with unlimited tabs and no scheduling cost; "of bound" = bound ÷ time.',
    '',
    ...(await speedupTable('One wide task (seeds whose plan has every step independent):', await wideSeeds(3, Number(process.env.WIDE_DEPTH ?? 1)))),
    '',
    ...(await speedupTable('One typical task (seeds 11, 12, 13, whatever their plan):', [11, 12, 13])),
  ]

  lines.push('', 'Throughput, seeded virtual time: 6 tasks submitted at once (same profile), time until all are answered:', '  nodes  time    vs 1 node')
  const t1 = mean(await Promise.all([throughput(1, 6, 21)]))
  const t3 = mean(await Promise.all([throughput(3, 6, 21)]))
  lines.push(`  ${'1'.padStart(5)}  ${s(t1).padStart(7)}  1.00×`, `  ${'3'.padStart(5)}  ${s(t3).padStart(7)}  ${(t1 / t3).toFixed(2)}×`)

  if (process.env.MINDOS_BENCH_BROWSERS !== '0') {
    // Real Chromium processes (needs dist/, which bench/run.ts builds); MINDOS_BENCH_BROWSERS=0 skips them.
    const { benchSwarmBrowser } = await import('./swarm-browser')
    lines.push('', await benchSwarmBrowser())
  }

  lines.push('', 'Scheduler pass cost (snapshot + derive, wall time on this machine):', '  roots  tasks   ms/pass  vs 1 root')
  let base = 0
  for (const roots of [1, 5, 20]) {
    const sim = await boardOf(roots)
    const { ms, tasks } = passMs(sim, 50)
    if (roots === 1) base = ms
    lines.push(`  ${String(roots).padStart(5)}  ${String(tasks).padStart(5)}  ${ms.toFixed(2).padStart(8)}  ${(ms / base).toFixed(1).padStart(8)}×`)
  }
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { setLogLevel } = await import('../src/log')
  setLogLevel('warn')
  benchSwarm().then((table) => process.stdout.write(`${table}\n`))
}
