/**
 * A small swarm on real inference, no simulated engine: two Chromium
 * processes run transformers.js on wasm with the tiny fixture model, and a
 * task goes from submission to a final answer in both tabs. The fixture's
 * text is nonsense, so this proves the roles' validation and fallbacks carry
 * a run on a real engine: the planner falls back to a single step after
 * invalid JSON, unparseable verdicts fail the verify node, and the research
 * result is accepted as unverified before synthesis.
 */
import { test, expect, type Page } from '@playwright/test'
import { ensureTinyFixture } from '../../signaling-server/tiny-fixture'
import { closeAll, expectPeerCount, launchPeer, startServer, uniqueRoom } from './harness'

const PROMPT = 'Explain how honey bees make honey'

async function graphKinds(page: Page): Promise<{ kind: string; status: string; assignee: string }[]> {
  return page.getByTestId('graph-node').evaluateAll((els) =>
    els.map((e) => ({ kind: e.getAttribute('data-kind') ?? '', status: e.getAttribute('data-status') ?? '', assignee: e.getAttribute('data-assignee') ?? '' })),
  )
}

test('two tabs on transformers.js (wasm, tiny fixture) answer a task end to end', async () => {
  test.setTimeout(600_000)
  await ensureTinyFixture()
  const server = await startServer()
  const peers = await Promise.all([launchPeer(), launchPeer()])
  try {
    const url = `${server.url}/?engine=transformers&device=wasm&model=tiny-fixture&autoload=1#room=${uniqueRoom('tf-swarm')}`
    await Promise.all(peers.map((p) => p.page.goto(url)))
    for (const p of peers) {
      await expectPeerCount(p.page, 1)
      await expect(p.page.getByTestId('engine-status')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 })
      await expect(p.page.getByTestId('sim-badge')).toHaveCount(0)
    }
    await peers[0]!.page.getByTestId('task-input').fill(PROMPT)
    await peers[0]!.page.getByTestId('task-submit').click()
    for (const p of peers) await expect(p.page.getByTestId('final-answer')).toBeVisible({ timeout: 480_000 })
    for (const p of peers) {
      await expect(p.page.getByTestId('final-answer')).toHaveAttribute('data-simulated', 'false')
      await expect(p.page.getByTestId('provenance').first()).toContainText('transformers · tiny-fixture')
    }
    // How the run got there: one research step (the planner's fallback), verdicts that failed to parse,
    // the research result accepted unverified, then synthesis. Which tab ran what is up to the scheduler.
    const nodes = await graphKinds(peers[1]!.page)
    test.info().annotations.push({ type: 'graph', description: nodes.map((n) => `${n.kind}:${n.status}`).join(', ') })
    const of = (kind: string) => nodes.filter((n) => n.kind === kind)
    expect(of('plan').map((n) => n.status)).toEqual(['done'])
    expect(of('research').map((n) => n.status)).toEqual(['done'])
    expect(of('verify').length).toBeGreaterThanOrEqual(1)
    expect(of('verify').every((n) => n.status === 'failed')).toBe(true)
    expect(of('synthesize').map((n) => n.status)).toEqual(['done'])
    expect(new Set(nodes.map((n) => n.assignee).filter(Boolean)).size, 'both tabs did work').toBe(2)
    for (const p of peers) expect(p.errors).toEqual([])
  } finally {
    await closeAll(peers, server)
  }
})
