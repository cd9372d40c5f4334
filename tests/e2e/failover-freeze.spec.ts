/**
 * Freeze/thaw correctness (issue #12): a tab frozen while it runs the plan
 * loses its lease through silence, the other tab re-queues and redoes the
 * step, and when the frozen tab thaws (its own run having finished in the
 * worker meanwhile) it notices the lost time, writes no result for the ended
 * attempt (in derive.ts a late attempt-1 result would beat attempt 2's and
 * supersede the subtasks attempt 2 created), and both tabs agree on the outcome.
 */
import { test, expect, type Page } from '@playwright/test'
import { startServer, uniqueRoom, expectPeerCount } from './harness'
import { freeze, launchKillablePeer, runningStep, selfId, submit, type KillablePeer } from './failover-harness'

const PROMPT = 'Explain how honey bees make honey and why pollination matters'

interface PlanRecords {
  results: string[]
  requeues: Record<string, { by: string; reason: string }>
}

async function planRecords(page: Page, planId: string): Promise<PlanRecords> {
  return page.evaluate((id) => {
    const w = window as unknown as { __mindos: { records(): Record<string, { results: Record<string, unknown>; requeues: Record<string, { attempt: number; by: string; reason: string }> }> } }
    const entry = w.__mindos.records()[id]!
    // Requeues are kept per signer (`${attempt}:${by}`); these checks are per attempt.
    return { results: Object.keys(entry.results), requeues: Object.fromEntries(Object.values(entry.requeues).map((r) => [String(r.attempt), r])) }
  }, planId)
}

test('a frozen tab loses its lease, and on thaw writes nothing stale; every tab agrees on the outcome', async () => {
  const server = await startServer()
  const url = `${server.url}/?engine=sim&simTps=8#room=${uniqueRoom('failover-thaw')}`
  const peers: KillablePeer[] = await Promise.all([launchKillablePeer(), launchKillablePeer()])
  try {
    await Promise.all(peers.map((p) => p.page.goto(url)))
    for (const p of peers) {
      await expectPeerCount(p.page, 1)
      await expect(p.page.getByTestId('engine-status')).toHaveAttribute('data-state', 'ready')
    }
    const ids = await Promise.all(peers.map((p) => selfId(p.page)))
    await submit(peers[0]!.page, PROMPT)
    const { step, holder } = await runningStep(peers[0]!.page, ids)
    const frozen = peers[holder]!
    const other = peers[1 - holder]!
    const thaw = await freeze(frozen.page)

    // 1. Silence ends the frozen tab's attempt; the other tab takes the step over and finishes it.
    const node = other.page.locator(`[data-testid="graph-node"][data-task-id="${step.id}"]`)
    await expect(node).toHaveAttribute('data-attempt', '2', { timeout: 120_000 })
    await expect(node).toHaveAttribute('data-status', 'done', { timeout: 180_000 })
    const before = await planRecords(other.page, step.id)
    expect(before.requeues['1']?.by, 'the other tab ended attempt 1').toBe(ids[1 - holder])
    expect(before.results).toEqual([`2:${ids[1 - holder]}`])

    // 2. Thaw. The frozen tab's worker finished attempt 1 while it was frozen (it started first, same
    //    simulated output); the tab must see the lost time and drop that result.
    await thaw()
    await expect
      .poll(() => frozen.logs.some((l) => /could not renew its lease|lost \d+ s/.test(l)), { timeout: 60_000 })
      .toBe(true)
    for (const p of peers) await expect(p.page.getByTestId('final-answer')).toContainText('[simulated]', { timeout: 180_000 })

    // 3. Every tab holds the same records: no attempt-1 result anywhere, the same accepted plan and answer.
    for (const p of peers) {
      const rec = await planRecords(p.page, step.id)
      expect(rec.results, 'no stale result for the ended attempt').toEqual([`2:${ids[1 - holder]}`])
      await expect(p.page.locator(`[data-testid="graph-node"][data-task-id="${step.id}"]`)).toHaveAttribute('data-attempt', '2')
    }
    const answers = await Promise.all(peers.map((p) => p.page.getByTestId('final-answer').textContent()))
    expect(answers[0]).toBe(answers[1])
    for (const p of peers) expect(p.errors).toEqual([])
  } finally {
    await Promise.allSettled(peers.map((p) => p.browser.close()))
    await server.close()
  }
})
