/**
 * A small swarm on real inference, no simulated engine: two Chromium
 * processes run transformers.js on wasm with the tiny fixture model, and a
 * task goes from submission to a final answer in both tabs. The fixture's
 * text is nonsense, but its JSON is grammar-constrained
 * (workers/grammar-logits-processor.ts), so the run really decomposes: the
 * model itself makes a plan of several research steps (no planner fallback),
 * and verifications are decided by verdicts the verifier parsed.
 */
import { test, expect, type Page } from '@playwright/test'
import { ensureTinyFixture } from '../../signaling-server/tiny-fixture'
import { MIN_STEPS, parsePlan } from '../../src/roles/plan'
import { closeAll, expectPeerCount, launchPeer, startServer, uniqueRoom } from './harness'

const PROMPT = 'Explain how honey bees make honey'

async function graphKinds(page: Page): Promise<{ id: string; kind: string; status: string; assignee: string }[]> {
  return page.getByTestId('graph-node').evaluateAll((els) =>
    els.map((e) => ({ id: e.getAttribute('data-task-id') ?? '', kind: e.getAttribute('data-kind') ?? '', status: e.getAttribute('data-status') ?? '', assignee: e.getAttribute('data-assignee') ?? '' })),
  )
}

/** Opens a graph node's detail panel and returns its text. */
async function detailOf(page: Page, taskId: string): Promise<{ text: string; output: string; verdicts: string[] }> {
  await page.locator(`[data-testid="graph-node"][data-task-id="${taskId}"]`).click()
  const detail = page.getByTestId('node-detail')
  await expect(detail).toBeVisible()
  return { text: (await detail.textContent()) ?? '', output: (await detail.getByTestId('node-output').textContent()) ?? '', verdicts: await detail.getByTestId('verdict').allTextContents() }
}

test('two tabs on transformers.js (wasm, tiny fixture) decompose a task with constrained JSON and answer it end to end', async () => {
  test.setTimeout(600_000)
  await ensureTinyFixture()
  const server = await startServer()
  const peers = await Promise.all([launchPeer(), launchPeer()])
  try {
    const url = `${server.url}/?engine=transformers&device=wasm&model=tiny-fixture&autoload=1#room=${uniqueRoom('tf-swarm')}`
    await Promise.all(peers.map((p) => p.page.goto(url)))
    for (const p of peers) {
      await expectPeerCount(p.page, 1)
      await expect(p.page.getByTestId('engine-status')).toHaveAttribute('data-state', 'ready', { timeout: 180_000 }) // two wasm loads on a busy 2-core machine
      await expect(p.page.getByTestId('sim-badge')).toHaveCount(0)
    }
    await peers[0]!.page.getByTestId('task-input').fill(PROMPT)
    await peers[0]!.page.getByTestId('task-submit').click()
    for (const p of peers) await expect(p.page.getByTestId('final-answer')).toBeVisible({ timeout: 540_000 })
    for (const p of peers) {
      await expect(p.page.getByTestId('final-answer')).toHaveAttribute('data-simulated', 'false')
      await expect(p.page.getByTestId('provenance').first()).toContainText('transformers · tiny-fixture')
    }
    const page = peers[1]!.page
    const nodes = await graphKinds(page)
    test.info().annotations.push({ type: 'graph', description: nodes.map((n) => `${n.kind}:${n.status}`).join(', ') })
    const of = (kind: string) => nodes.filter((n) => n.kind === kind)

    // The model made the plan: valid JSON with ≥ 2 steps, no fallback note, one research node per step.
    expect(of('plan').map((n) => n.status)).toEqual(['done'])
    const plan = await detailOf(page, of('plan')[0]!.id)
    expect(plan.text).not.toContain('the task runs as a single step')
    const parsed = parsePlan(plan.output)
    expect(parsed.ok, plan.output).toBe(true)
    const steps = parsed.ok ? parsed.value.steps.length : 0
    test.info().annotations.push({ type: 'plan steps made by the model', description: String(steps) })
    expect(steps).toBeGreaterThanOrEqual(MIN_STEPS)
    expect(of('research').length).toBe(steps)

    // Verifications were decided by parsed verdicts ("pass"/"fail" with a reason), not failed for unparseable output.
    expect(of('verify').filter((n) => n.status === 'done').length, 'verify nodes decided by a verdict').toBeGreaterThanOrEqual(1)
    const verdicts = (await Promise.all(of('research').map((n) => detailOf(page, n.id)))).flatMap((d) => d.verdicts)
    test.info().annotations.push({ type: 'verdicts', description: verdicts.join(' | ') })
    expect(verdicts.some((v) => /^(pass|fail) by .+ \(attempt \d+\): .{3,}/.test(v)), verdicts.join('\n')).toBe(true)

    expect(of('synthesize').map((n) => n.status)).toEqual(['done'])
    expect(new Set(nodes.map((n) => n.assignee).filter(Boolean)).size, 'both tabs did work').toBe(2)
    for (const p of peers) expect(p.errors).toEqual([])
  } finally {
    await closeAll(peers, server)
  }
})
