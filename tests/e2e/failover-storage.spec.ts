/**
 * Storage trouble (issue #12): with the site's storage quota cut to nothing
 * (CDP Storage.overrideQuotaForOrigin), board writes to IndexedDB fail. The
 * page says so plainly, the tab keeps working from memory, and once storage
 * works again the retry saves everything: after a reload the task is there.
 */
import { test, expect } from '@playwright/test'
import { closeAll, launchPeer, startServer, uniqueRoom } from './harness'
import { submit } from './failover-harness'

// FIXME (issue #12, storage): with the quota overridden to 1 byte, board writes still succeed in
// this Chromium (no failure reached the page on two runs, also after checking transaction
// aborts), so this test cannot yet produce the failure it checks. The pure policy is unit-tested
// (tests/unit/storage-retry.test.ts); the write path in src/board/persistence.ts is not e2e-proven.
test.fixme('a full storage quota shows a clear message, the tab keeps working, and the board is saved once storage works again', async () => {
  const server = await startServer()
  const peer = await launchPeer()
  try {
    const page = peer.page
    await page.goto(`${server.url}/?engine=sim&simTps=300#room=${uniqueRoom('storage')}`)
    await expect(page.getByTestId('engine-status')).toHaveAttribute('data-state', 'ready')
    await expect(page.getByTestId('storage-problem')).toBeHidden()
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url, quotaSize: 1 })

    await submit(page, 'Explain how honey bees make honey')
    await expect(page.getByTestId('storage-problem')).toBeVisible()
    await expect(page.getByTestId('storage-problem')).toContainText(/storage is full|Could not save the board/)
    await expect(page.getByTestId('storage-problem')).toContainText('keeps working from memory')
    // Working from memory: the task still runs to its answer.
    await expect(page.getByTestId('final-answer')).toContainText('[simulated]', { timeout: 120_000 })

    await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url })
    await expect(page.getByTestId('storage-problem')).toBeHidden({ timeout: 90_000 })
    expect(peer.logs.some((l) => l.includes('saving the board to IndexedDB works again'))).toBe(true)

    // Nothing was lost: alone in the room, the reloaded tab has the task from IndexedDB only.
    await page.reload()
    await expect(page.getByTestId('task')).toHaveCount(1)
    await expect(page.getByTestId('task')).toHaveAttribute('data-status', 'done')
    expect(peer.errors).toEqual([])
  } finally {
    await closeAll([peer], server)
  }
})
