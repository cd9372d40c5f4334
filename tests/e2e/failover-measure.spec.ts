/**
 * Failover measurements (issue #12): a tab that holds a running step is
 * closed, SIGKILLed or frozen (CDP Page.setWebLifecycleState, what Chrome does
 * to background tabs), and the surviving tab takes the step over.
 *
 * "Frozen" is emulated by pausing the page's main thread in the debugger:
 * in this headless Chromium (156), Page.setWebLifecycleState {frozen} on a
 * headless page (always "visible") freezes nothing: timers, worker messages
 * and lease beats go on and no `freeze` event fires (measured). That no-op is
 * why main reported "never": the tab was still beating its lease. The tests
 * assert outcomes and order (the step is re-queued by the survivor with a
 * reason, the lost tab leaves the peer list, the task still finishes); the
 * durations are written to .cache/failover-measurements.json for
 * `npm run bench`, never asserted.
 */
import { test, expect } from '@playwright/test'
import { startServer, uniqueRoom, expectPeerCount } from './harness'
import {
  launchKillablePeer,
  recordMeasurement,
  runningStep,
  selfId,
  startWitness,
  submit,
  witness,
  type Disappearance,
  type KillablePeer,
  freeze,
} from './failover-harness'

const PROMPT = 'Explain how honey bees make honey and why pollination matters'

async function scenario(kind: Disappearance): Promise<void> {
  const server = await startServer()
  // Slow enough that the plan step is still running when its tab goes away.
  const url = `${server.url}/?engine=sim&simTps=8#room=${uniqueRoom(`failover-${kind}`)}`
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
    const victim = peers[holder]!
    const survivor = peers[1 - holder]!
    await startWitness(survivor.page)
    const t0 = Date.now()
    if (kind === 'close') await victim.page.close()
    else if (kind === 'sigkill') victim.kill()
    else await freeze(victim.page)
    // Outcome: the survivor ends the lost attempt (it, not the lost tab, wrote the requeue) and runs the step itself.
    const node = survivor.page.locator(`[data-testid="graph-node"][data-task-id="${step.id}"]`)
    await expect(node).toHaveAttribute('data-attempt', /^[2-9]$/, { timeout: 150_000 })
    await expect(node).toHaveAttribute('data-assignee', ids[1 - holder]!, { timeout: 60_000 })
    const seen = await witness(survivor.page)
    const requeue = seen.requeues[`${step.id}:${step.attempt}`]
    expect(requeue, 'the survivor saw the requeue of the held attempt').toBeDefined()
    expect(requeue!.by).toBe(ids[1 - holder])
    expect(requeue!.reason).toMatch(/left the swarm|expired|restarted/)
    if (kind !== 'freeze') await expectPeerCount(survivor.page, 0)
    const after = await witness(survivor.page)
    const left = after.left[ids[holder]!]
    if (kind !== 'freeze') expect(left, 'the lost tab left the peer list').toBeDefined()
    recordMeasurement({
      scenario: kind,
      requeueMs: requeue!.at - t0,
      peerDropMs: left !== undefined ? left - t0 : null,
      reason: requeue!.reason,
      at: new Date().toISOString(),
    })
  } finally {
    await Promise.allSettled(peers.map((p) => p.browser.close()))
    await server.close()
  }
}

test('a closed tab: its step is re-queued by the survivor and it leaves the peer list', async () => {
  await scenario('close')
})

test('a SIGKILLed tab: its step is re-queued by the survivor and it leaves the peer list', async () => {
  await scenario('sigkill')
})

test('a frozen tab: it loses its lease through silence and the survivor re-queues its step', async () => {
  await scenario('freeze')
})
