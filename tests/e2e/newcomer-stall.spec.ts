/**
 * A newcomer's stalled task explains itself: on the default URL nothing loads
 * a model by itself (no WebGPU here, so transformers.js on WASM, no autoload),
 * so a submitted task has nobody to plan it. The task list and the answer area
 * say so, name the model this tab would load and offer the one click; the
 * notice goes away as soon as a tab with a model (a simulated one here: real
 * weights cannot download on this machine) claims the step.
 */
import { test, expect } from '@playwright/test'
import { closeAll, expectPeerCount, launchPeer, startServer, uniqueRoom, type Peer } from './harness'

test('a task nobody can run says why, names the model to load, and clears when a tab loads one', async () => {
  const server = await startServer()
  const peers: Peer[] = []
  try {
    const room = uniqueRoom('stall')
    const a = await launchPeer()
    peers.push(a)
    await a.page.goto(`${server.url}/#room=${room}`)
    const status = a.page.getByTestId('engine-status')
    // The model this tab's node panel offers by default (once the catalog is listed): the notice must name it.
    await expect(a.page.getByTestId('model-select')).toHaveValue(/.+/)
    await expect(status).toHaveAttribute('data-state', 'idle')
    const recommended = await a.page.getByTestId('model-select').inputValue()
    expect(recommended).not.toBe('tiny-fixture')

    await a.page.getByTestId('task-input').fill('Explain why the sky is blue')
    await a.page.getByTestId('task-submit').click()
    const notices = a.page.getByTestId('swarm-notice')
    await expect(notices).toHaveCount(2) // the task list and the answer area
    for (const n of await notices.all()) {
      await expect(n).toHaveAttribute('data-kind', 'no-model')
      await expect(n).toContainText('No tab in this room has a model loaded')
      await expect(n).toContainText(recommended)
    }
    const load = a.page.getByTestId('task-list').getByTestId('swarm-notice-action')
    await expect(load).toHaveText(new RegExp(`^Load ${recommended.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+(\\.\\d)? [MG]B\\)$`))
    await expect(a.page.getByTestId('task')).toHaveAttribute('data-status', 'pending')

    // Pausing this tab too: now everyone (one tab) is paused, and the notice says that instead.
    await a.page.getByTestId('pause-toggle').click()
    await expect(notices.first()).toHaveAttribute('data-kind', 'all-paused')
    await a.page.getByTestId('task-list').getByTestId('swarm-notice-action').filter({ hasText: 'Resume donating' }).click()
    await expect(notices.first()).toHaveAttribute('data-kind', 'no-model')

    // Another tab, another browser process, with a (simulated) model: it claims the plan and the notice goes.
    const b = await launchPeer()
    peers.push(b)
    await b.page.goto(`${server.url}/?engine=sim&simTps=400#room=${room}`)
    await expectPeerCount(a.page, 1)
    await expect(notices).toHaveCount(0)
    await expect(a.page.getByTestId('final-answer')).toBeVisible({ timeout: 120_000 })
    await expect(a.page.getByTestId('final-answer')).toHaveAttribute('data-simulated', 'true')
    await expect(a.page.locator('section.final [data-testid="output-label"][data-label="simulated"]')).toHaveText('SIMULATED')
    for (const p of peers) expect(p.errors).toEqual([])
  } finally {
    await closeAll(peers, server)
  }
})
