/**
 * The swarm in real browsers (part of `npm run bench`, after the simulated
 * benchmarks in swarm.ts): separate Chromium processes on the simulated
 * engine with the realistic reply lengths and 6-step plans, wall time from
 * submitting to the answer appearing in the submitting tab. This is the
 * number a user sees; it includes WebRTC, Yjs, rendering and this machine's
 * load (shared cores), so expect more noise than in the seeded simulation.
 *  1. one task, 1 tab versus 3 tabs;
 *  2. throughput: 6 tasks submitted at once, 1 tab versus 3 tabs.
 * Needs dist/ (bench/run.ts builds it).
 */
import { expect } from '@playwright/test'
import { closeAll, expectPeerCount, launchPeer, startServer, uniqueRoom, type Peer } from '../tests/e2e/harness'
import { BENCH_PLAN_STEPS, BENCH_PROMPT } from './swarm'

const SIM_TPS = 100
const SEED = 68

async function openTabs(n: number): Promise<{ peers: Peer[]; close: () => Promise<void> }> {
  const server = await startServer()
  const url = `${server.url}/?engine=sim&simTps=${SIM_TPS}&simPlanSteps=${BENCH_PLAN_STEPS}&seed=${SEED}#room=${uniqueRoom('bench')}`
  const peers = await Promise.all(Array.from({ length: n }, () => launchPeer()))
  await Promise.all(peers.map((p) => p.page.goto(url)))
  for (const p of peers) {
    await expectPeerCount(p.page, n - 1)
    await expect(p.page.getByTestId('engine-status')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 })
  }
  return { peers, close: () => closeAll(peers, server) }
}

async function submit(peer: Peer, text: string): Promise<void> {
  await peer.page.getByTestId('task-input').fill(text)
  await peer.page.getByTestId('task-submit').click()
}

/** Wall ms from submitting `tasks` tasks (round-robin over the tabs) until all are done in the first tab. */
async function timeTasks(tabs: number, tasks: number): Promise<number> {
  const { peers, close } = await openTabs(tabs)
  try {
    const t0 = Date.now()
    for (let i = 0; i < tasks; i++) await submit(peers[i % tabs]!, tasks === 1 ? BENCH_PROMPT : `${BENCH_PROMPT} (variant ${i + 1})`)
    await expect(peers[0]!.page.locator('[data-testid="task"][data-status="done"]')).toHaveCount(tasks, { timeout: 900_000 })
    return Date.now() - t0
  } finally {
    await close()
  }
}

export async function benchSwarmBrowser(): Promise<string> {
  const one1 = await timeTasks(1, 1)
  const one3 = await timeTasks(3, 1)
  const six1 = await timeTasks(1, 6)
  const six3 = await timeTasks(3, 6)
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`.padStart(8)
  return [
    `Real browsers: separate Chromium processes, simulated engine at ${SIM_TPS} tok/s, default reply lengths, ${BENCH_PLAN_STEPS}-step plans (seed ${SEED}); wall time:`,
    '  workload               1 tab    3 tabs   speed-up',
    `  one task            ${s(one1)}  ${s(one3)}   ${(one1 / one3).toFixed(2)}×`,
    `  6 tasks at once     ${s(six1)}  ${s(six3)}   ${(six1 / six3).toFixed(2)}×`,
  ].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchSwarmBrowser().then((table) => process.stdout.write(`${table}\n`))
}
