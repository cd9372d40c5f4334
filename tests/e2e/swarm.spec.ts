/**
 * Swarm execution end to end, with three separate Chromium processes running
 * the simulated engine (labelled as such in the UI): a task becomes a graph
 * that several tabs work through, verification happens on another tab, the
 * answer reaches every tab, and losing a tab or reloading loses nothing.
 */
import { test, expect, type Page } from '@playwright/test'
import path from 'node:path'
import { closeAll, expectPeerCount, launchPeer, repoRoot, startServer, uniqueRoom, type Peer } from './harness'
import { seedForPlan } from './sim-seed'
import type { SwarmServer } from '../../signaling-server/server'

const PROMPT = 'Explain how honey bees make honey and why pollination matters'

async function submit(page: Page, text: string, privately = false): Promise<void> {
  await page.getByTestId('task-input').fill(text)
  if (privately) await page.getByTestId('task-private').check()
  await page.getByTestId('task-submit').click()
}

async function selfId(page: Page): Promise<string> {
  return (await page.getByTestId('self-id').textContent()) ?? ''
}

async function graphNodes(page: Page): Promise<{ kind: string; status: string; assignee: string; attempt: number; id: string }[]> {
  return page.getByTestId('graph-node').evaluateAll((els) =>
    els.map((e) => ({
      kind: e.getAttribute('data-kind') ?? '',
      status: e.getAttribute('data-status') ?? '',
      assignee: e.getAttribute('data-assignee') ?? '',
      attempt: Number(e.getAttribute('data-attempt')),
      id: e.getAttribute('data-task-id') ?? '',
    })),
  )
}

async function openSwarm(n: number, simTps: number, seed: number, extra = ''): Promise<{ server: SwarmServer; peers: Peer[]; url: string }> {
  const server = await startServer()
  const url = `${server.url}/?engine=sim&simTps=${simTps}&seed=${seed}${extra}#room=${uniqueRoom('swarm')}`
  const peers = await Promise.all(Array.from({ length: n }, () => launchPeer()))
  await Promise.all(peers.map((p) => p.page.goto(url)))
  for (const p of peers) {
    await expectPeerCount(p.page, n - 1)
    await expect(p.page.getByTestId('engine-status')).toHaveAttribute('data-state', 'ready')
  }
  return { server, peers, url }
}

test('a task decomposes, runs on several tabs, is verified by other tabs and answered everywhere', async () => {
  const seed = await seedForPlan(PROMPT, 3)
  const { server, peers } = await openSwarm(3, 120, seed)
  try {
    await submit(peers[0]!.page, PROMPT)
    for (const p of peers) await expect(p.page.getByTestId('final-answer')).toContainText('[simulated]', { timeout: 120_000 })
    const nodes = await graphNodes(peers[1]!.page)
    const research = nodes.filter((n) => n.kind === 'research')
    expect(research.length).toBeGreaterThanOrEqual(3)
    const done = research.filter((r) => r.status === 'done')
    expect(new Set(done.map((r) => r.assignee)).size, 'at least two tabs executed subtasks').toBeGreaterThanOrEqual(2)
    // Every result was judged by a verify node on another tab. Verify node ids are
    // `${researchId}-v-${attempt}-${producerNodeId}` (graph-builders.ts).
    const verifies = nodes.filter((n) => n.kind === 'verify' && n.status === 'done')
    for (const r of done) {
      const judges = verifies.filter((v) => v.id.startsWith(`${r.id}-v-`))
      expect(judges.length, `research ${r.id} was verified`).toBeGreaterThan(0)
      for (const v of judges) {
        const producer = v.id.slice(`${r.id}-v-`.length).replace(/^\d+-/, '')
        expect(v.assignee, `verification ${v.id} ran on another tab than its producer`).not.toBe(producer)
      }
    }
    await expect(peers[2]!.page.getByTestId('provenance').first()).toContainText('SIMULATED')
    for (const p of peers) expect(p.errors).toEqual([])
    // The README's picture: open one step's detail, then photograph the whole page.
    await peers[1]!.page.locator('[data-testid="graph-node"][data-kind="research"]').first().click()
    await peers[1]!.page.screenshot({ path: path.join(repoRoot, 'docs', 'screenshot.png'), fullPage: true })
  } finally {
    await closeAll(peers, server)
  }
})

test('closing the browser that runs a subtask still ends with an answer, and the graph shows the re-claim', async () => {
  const seed = await seedForPlan(PROMPT, 3)
  const { server, peers } = await openSwarm(3, 30, seed)
  try {
    await submit(peers[0]!.page, PROMPT)
    const watcher = peers[0]!.page
    await expect(watcher.locator('[data-testid="graph-node"][data-kind="research"][data-status="running"]').first()).toBeVisible({ timeout: 120_000 })
    const running = (await graphNodes(watcher)).find((n) => n.kind === 'research' && n.status === 'running')!
    const ids = await Promise.all(peers.map((p) => selfId(p.page)))
    // If the submitting tab is the one running it, close it anyway: any tab may go.
    const victimIndex = ids.indexOf(running.assignee)
    const victim = peers[victimIndex]!
    await victim.browser.close()
    const survivors = peers.filter((_, i) => i !== victimIndex)
    const page = survivors[0]!.page
    // The abandoned attempt ends and another tab takes the subtask over.
    await expect(page.locator(`[data-testid="graph-node"][data-task-id="${running.id}"]`)).toHaveAttribute('data-attempt', /^[2-9]$/, { timeout: 120_000 })
    for (const p of survivors) await expect(p.page.getByTestId('final-answer')).toContainText('[simulated]', { timeout: 240_000 })
    const after = (await graphNodes(page)).find((n) => n.id === running.id)!
    expect(after.assignee).not.toBe(running.assignee)
    await page.locator(`[data-testid="graph-node"][data-task-id="${running.id}"]`).click()
    await expect(page.getByTestId('requeue').first()).toContainText(/left the swarm|expired|never started/)
  } finally {
    await closeAll(peers, server)
  }
})

test('reloading the submitting tab mid-task loses nothing', async () => {
  const seed = await seedForPlan(PROMPT, 3)
  const { server, peers } = await openSwarm(3, 30, seed)
  try {
    const submitter = peers[0]!.page
    await submit(submitter, PROMPT)
    await expect(submitter.locator('[data-testid="graph-node"][data-kind="research"]').first()).toBeVisible({ timeout: 60_000 })
    await submitter.reload()
    await expect(submitter.getByTestId('task')).toHaveCount(1)
    for (const p of peers) await expect(p.page.getByTestId('final-answer')).toContainText('[simulated]', { timeout: 180_000 })
    await expect(submitter.getByTestId('task')).toHaveAttribute('data-status', 'done')
  } finally {
    await closeAll(peers, server)
  }
})

test('a private task runs on the submitting tab only and never appears in the others', async () => {
  const { server, peers } = await openSwarm(3, 200, 1)
  try {
    const secret = 'Summarise my private medical notes about allergy zebracorn-4411'
    await submit(peers[0]!.page, secret, true)
    await expect(peers[0]!.page.getByTestId('final-answer')).toBeVisible({ timeout: 120_000 })
    await expect(peers[0]!.page.getByTestId('task')).toHaveAttribute('data-private', 'true')
    const mine = await selfId(peers[0]!.page)
    for (const n of await graphNodes(peers[0]!.page)) if (n.assignee) expect(n.assignee).toBe(mine)
    // A shared task afterwards reaches everyone, so the others have synced past the private one.
    await peers[0]!.page.getByTestId('task-private').uncheck()
    await submit(peers[0]!.page, 'A shared task after the private one')
    for (const p of peers.slice(1)) {
      await expect(p.page.getByTestId('task').filter({ hasText: 'A shared task after the private one' })).toHaveCount(1)
      await expect(p.page.getByText('zebracorn-4411')).toHaveCount(0)
      expect(await p.page.content()).not.toContain('zebracorn')
    }
  } finally {
    await closeAll(peers, server)
  }
})

interface DebugTask {
  id: string
  kind: string
  origin: string | null
  leases: { node: string; attempt: number }[]
  results: { key: string; node: string; startedAt: number; endedAt: number }[]
}

test('the plan streams: research on step 1 starts on another tab before the plan node finishes', async () => {
  // The realistic profile (default reply lengths) and a 6-step plan, as in the benchmark.
  const { server, peers } = await openSwarm(3, 40, 3, '&simPlanSteps=6')
  try {
    await submit(peers[0]!.page, PROMPT)
    for (const p of peers) await expect(p.page.getByTestId('final-answer')).toContainText('[simulated]', { timeout: 180_000 })
    // Structure from the board's own records, not timing: every tab runs on this machine's clock,
    // so a result's provenance times compare across tabs.
    const board = (await peers[1]!.page.evaluate(() => (window as unknown as { __mindos: { tasks: () => unknown } }).__mindos.tasks())) as DebugTask[]
    const plan = board.find((t) => t.kind === 'plan')!
    expect(plan.results).toHaveLength(1)
    const planResult = plan.results[0]!
    const steps = board.filter((t) => t.kind === 'research' && t.origin === `${plan.id}/${planResult.key}`)
    expect(steps).toHaveLength(6)
    const step1 = steps.find((t) => t.id.endsWith('-s1'))!
    expect(step1.leases.length, 'step 1 was leased').toBeGreaterThan(0)
    const firstRun = step1.results.reduce((a, b) => (a.startedAt <= b.startedAt ? a : b))
    expect(firstRun.node, 'step 1 ran on another tab than the planner').not.toBe(planResult.node)
    expect(firstRun.startedAt, 'research on step 1 started before the plan finished').toBeLessThan(planResult.endedAt)
    for (const p of peers) expect(p.errors).toEqual([])
  } finally {
    await closeAll(peers, server)
  }
})
