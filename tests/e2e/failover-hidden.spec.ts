/**
 * Hidden tabs keep donating (issue #12). This headless Chromium cannot hide
 * a page (headless pages are always "visible"; CDP has no visibility
 * override, and Page.setWebLifecycleState freezes nothing here), so the
 * hidden tab is emulated in the page itself, before any app code runs: the
 * document reports `hidden`, and the page's own timers get Chrome's
 * intensive background throttling (they fire only on whole-minute wake-ups),
 * switched on once the swarm has formed.
 * Dedicated workers are not throttled that way, which is what the lease
 * clock relies on.
 *
 * The hidden tab is the only one donating (the visible tab is paused), so it
 * runs every step while the visible tab watches its leases: no lease or
 * claim may go stale (verifier rejections may still end attempts), and both
 * tabs get the answer.
 * With lease beats on the page's own timers this fails: beats come once a
 * minute and the watcher re-queues every step.
 */
import { test, expect } from '@playwright/test'
import { closeAll, expectPeerCount, launchPeer, startServer, uniqueRoom } from './harness'
import { graphNodes, selfId, submit } from './failover-harness'

/** Runs in the page before the app: hidden, with intensively throttled page timers. */
function emulateHiddenTab(): void {
  Object.defineProperty(Document.prototype, 'visibilityState', { get: () => 'hidden', configurable: true })
  Object.defineProperty(Document.prototype, 'hidden', { get: () => true, configurable: true })
  const realSetTimeout = window.setTimeout.bind(window)
  const realClearTimeout = window.clearTimeout.bind(window)
  const w = window as unknown as { __throttled?: boolean }
  const wakeUp = (ms: number): number => {
    if (!w.__throttled) return ms
    const due = Date.now() + Math.max(0, ms)
    return Math.ceil(due / 60_000) * 60_000 - Date.now()
  }
  ;(window as unknown as { setTimeout: unknown }).setTimeout = (fn: () => void, ms = 0, ...args: unknown[]) => realSetTimeout(fn, wakeUp(ms), ...args)
  ;(window as unknown as { setInterval: unknown }).setInterval = (fn: () => void, ms = 0) => {
    const box = { id: 0 as number }
    const loop = (): void => {
      box.id = realSetTimeout(() => {
        loop()
        fn()
      }, wakeUp(ms))
    }
    loop()
    return box
  }
  ;(window as unknown as { clearInterval: unknown }).clearInterval = (box: { id: number } | undefined) => box && realClearTimeout(box.id)
  ;(window as unknown as { __hiddenEmulation: boolean }).__hiddenEmulation = true
}

test('a hidden tab with throttled timers keeps its leases alive while it works', async () => {
  const server = await startServer()
  const url = `${server.url}/?engine=sim&simTps=20#room=${uniqueRoom('hidden')}`
  const [hidden, watcher] = await Promise.all([launchPeer(), launchPeer()])
  try {
    await hidden!.page.addInitScript(emulateHiddenTab)
    await Promise.all([hidden!.page.goto(url), watcher!.page.goto(url)])
    for (const p of [hidden!, watcher!]) {
      await expectPeerCount(p.page, 1)
      await expect(p.page.getByTestId('engine-status')).toHaveAttribute('data-state', 'ready', { timeout: 120_000 })
    }
    expect(await hidden!.page.evaluate(() => document.visibilityState)).toBe('hidden')
    // Chrome throttles this hard only after 5 minutes hidden: switch it on once the swarm is formed.
    await hidden!.page.evaluate(() => ((window as unknown as { __throttled: boolean }).__throttled = true))
    await watcher!.page.getByTestId('pause-toggle').click()
    await expect(watcher!.page.getByTestId('pause-toggle')).toHaveAttribute('data-paused', 'true')
    const hiddenId = await selfId(hidden!.page)

    await submit(watcher!.page, 'Explain how honey bees make honey')
    for (const p of [watcher!, hidden!]) await expect(p.page.getByTestId('final-answer')).toContainText('[simulated]', { timeout: 300_000 })

    const requeues = await watcher!.page.evaluate(() => {
      const w = window as unknown as { __mindos: { records(): Record<string, { requeues: Record<string, { reason: string; cause: string }> }> } }
      return Object.entries(w.__mindos.records()).flatMap(([id, t]) => Object.values(t.requeues).filter((r) => r.cause === 'holder-lost' || r.cause === 'claim-stale').map((r) => `${id}: ${r.cause}: ${r.reason}`))
    })
    // Verifier rejections (cause verification-failed) are normal; no lease or claim may have gone stale.
    expect(requeues, 'no lease expired').toEqual([])
    const nodes = (await graphNodes(watcher!.page)).filter((n) => n.kind !== 'root')
    expect(nodes.length).toBeGreaterThan(2)
    for (const n of nodes) {
      expect(n.assignee, `${n.kind} ${n.id} ran on the hidden tab`).toBe(hiddenId)
    }
    // Chromium itself logs this when y-webrtc's signaling client sends on a socket that closed while
    // the tab's timers were throttled (it reconnects on its next wake-up); nothing of ours threw.
    const benign = /^WebSocket is already in CLOSING or CLOSED state\.$/
    expect(hidden!.errors.filter((e) => !benign.test(e))).toEqual([])
  } finally {
    await closeAll([hidden!, watcher!], server)
  }
})
