/**
 * Fixture swarm benchmark (part of `npm run bench`): one task answered end to
 * end by real inference, transformers.js on wasm with the tiny fixture model,
 * on 2 separate Chromium processes and, in the same run, on 1 tab.
 *
 * Reported per setup, read from the board itself (window.__mindos.doc, the
 * Yjs document every tab replicates), not from the UI:
 * - time to answer: the root's createdAt (submit) → the end of the accepted
 *   synthesis (the root turns done), both on the tabs' wall clocks (Date.now,
 *   one machine, so one clock);
 * - plan steps the model made (the accepted plan parsed) and whether the
 *   planner fell back to a one-step plan (its result carries the note);
 * - verify nodes decided by a parsed verdict (pass/fail) out of all verify nodes;
 * - how many tabs executed work.
 * The fixture's text is nonsense; only its JSON is meaningful (grammar-constrained).
 */
import * as Y from 'yjs'
import { performance } from 'node:perf_hooks'
import type { TaskSnapshot } from '../src/board/dag-schema'
import { parsePlan } from '../src/roles/plan'
import { deriveBoard, isTerminal, type DerivedTask } from '../src/scheduler/derive'
import { buildIfNeeded } from '../signaling-server/build-if-needed'
import { startSwarmServer } from '../signaling-server/server'
import { ensureTinyFixture } from '../signaling-server/tiny-fixture'
import { closeAll, distDir, launchPeer, type Peer } from '../tests/e2e/harness'

const PROMPT = 'Explain how honey bees make honey'
const QUERY = 'engine=transformers&device=wasm&model=tiny-fixture&autoload=1'
/** Generous: two wasm loads and a whole task on a 2-core machine shared with other work. */
const LOAD_TIMEOUT_MS = 300_000
const ANSWER_TIMEOUT_MS = Number(process.env.BENCH_FIXTURE_SWARM_TIMEOUT_MS ?? 1_500_000)
const POLL_MS = 500

interface Outcome {
  readonly tabs: number
  readonly status: string
  /** Board time, submit → accepted synthesis ended. */
  readonly answerMs: number
  /** Node's own view: click → the poll first saw the root terminal (includes up to POLL_MS). */
  readonly observedMs: number
  readonly planSteps: number
  readonly plannerFellBack: boolean
  readonly verifies: number
  readonly verdictDecided: number
  readonly executors: number
}

/** The page's verified snapshot (Maps travel as entry lists), derived here by the app's own derivation. */
async function boardOf(peer: Peer): Promise<Map<string, DerivedTask>> {
  // A string expression: tsx's keepNames would wrap a function in `__name(...)`, which the page lacks.
  const json = (await peer.page.evaluate(
    `JSON.stringify(window.__mindos.board.snapshot().map((t) => ({ ...t, claims: [...t.claims], leases: [...t.leases], results: [...t.results], requeues: [...t.requeues], partials: [] })))`,
  )) as string
  type Wire = Omit<TaskSnapshot, 'claims' | 'leases' | 'results' | 'requeues' | 'partials'> & Record<'claims' | 'leases' | 'results' | 'requeues', [string, never][]>
  const tasks = (JSON.parse(json) as Wire[]).map(
    (t): TaskSnapshot => ({ ...t, claims: new Map(t.claims), leases: new Map(t.leases), results: new Map(t.results), requeues: new Map(t.requeues), partials: new Map() }),
  )
  return deriveBoard(tasks)
}

async function runOnce(url: string, tabs: number): Promise<Outcome> {
  const peers = await Promise.all(Array.from({ length: tabs }, () => launchPeer()))
  try {
    const room = `bench-fxs${tabs}-${Date.now().toString(36)}`
    await Promise.all(peers.map((p) => p.page.goto(`${url}/?${QUERY}#room=${room}`)))
    for (const p of peers) {
      await p.page.waitForFunction(`document.querySelector('[data-testid="peer-count"]')?.textContent === ${JSON.stringify(String(tabs - 1))}`, undefined, { timeout: 60_000 })
      await p.page.locator('[data-testid="engine-status"][data-state="ready"]').waitFor({ timeout: LOAD_TIMEOUT_MS })
    }
    const submitter = peers[0]!
    await submitter.page.getByTestId('task-input').fill(`${PROMPT} (${tabs} tab${tabs === 1 ? '' : 's'})`)
    const t0 = performance.now()
    await submitter.page.getByTestId('task-submit').click()
    let board = await boardOf(submitter)
    const rootOf = (b: Map<string, DerivedTask>) => [...b.values()].find((d) => d.task.kind === 'root')
    while (!(rootOf(board) && isTerminal(rootOf(board)!.status))) {
      if (performance.now() - t0 > ANSWER_TIMEOUT_MS) throw new Error(`fixture swarm (${tabs} tabs): no answer after ${ANSWER_TIMEOUT_MS / 1000} s`)
      await new Promise((resolve) => setTimeout(resolve, POLL_MS)) // a measurement poll, not test synchronisation
      board = await boardOf(submitter)
    }
    const observedMs = performance.now() - t0
    const root = rootOf(board)!
    const all = [...board.values()].filter((d) => d.task.rootId === root.task.id && !d.superseded)
    const plan = all.find((d) => d.task.kind === 'plan')
    const parsed = plan?.accepted ? parsePlan(plan.accepted.result.text) : null
    const verifies = all.filter((d) => d.task.kind === 'verify')
    const decided = verifies.filter((d) => d.accepted?.result.verdict === 'pass' || d.accepted?.result.verdict === 'fail')
    const executors = new Set(all.filter((d) => d.accepted && d.task.kind !== 'root').map((d) => d.accepted!.result.provenance.node))
    return {
      tabs,
      status: root.status,
      answerMs: root.accepted ? root.accepted.result.provenance.endedAt - root.task.createdAt : NaN,
      observedMs,
      planSteps: parsed?.ok ? parsed.value.steps.length : 0,
      // task-io.ts files the planner's fallback note as the plan result's reason; a model-made plan has none.
      plannerFellBack: plan?.accepted?.result.reason !== undefined,
      verifies: verifies.length,
      verdictDecided: decided.length,
      executors: executors.size,
    }
  } finally {
    await closeAll(peers)
  }
}

export async function benchFixtureSwarm(): Promise<string> {
  await buildIfNeeded()
  await ensureTinyFixture()
  const server = await startSwarmServer({ port: 0, host: '127.0.0.1', staticDir: distDir })
  try {
    // Sequential, never concurrent: the setups must not share the CPU with each other.
    const two = await runOnce(server.url, 2)
    const one = await runOnce(server.url, 1)
    const row = (o: Outcome) =>
      `  ${String(o.tabs).padStart(4)}  ${o.status.padEnd(6)} ${(o.answerMs / 1000).toFixed(1).padStart(9)} s ${(o.observedMs / 1000).toFixed(1).padStart(9)} s ${String(o.planSteps).padStart(10)}  ${(o.plannerFellBack ? 'yes' : 'no').padStart(9)}  ${`${o.verdictDecided}/${o.verifies}`.padStart(14)} ${String(o.executors).padStart(9)}`
    return [
      `Fixture swarm: transformers.js on wasm, tiny-fixture (q4), grammar-constrained JSON; one task ("${PROMPT}") end to end, separate Chromium processes; 2 tabs then 1 tab, same run:`,
      '  tabs  root   answer (board)  (observed)  plan steps  fell back  verdict-decided  executors',
      row(two),
      row(one),
      `  time to answer, 2 tabs / 1 tab: ${(two.answerMs / one.answerMs).toFixed(2)}× (speed-up ${(one.answerMs / two.answerMs).toFixed(2)}×)  (plan steps ${two.planSteps} vs ${one.planSteps}: the planner samples at temperature 0.3, so the graphs may differ)`,
    ].join('\n')
  } finally {
    await server.close()
  }
}
