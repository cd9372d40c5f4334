/**
 * Storage trouble (issue #12): board writes to IndexedDB fail. The page says
 * so plainly, the tab keeps working from memory, and once storage works again
 * the retry saves everything: after a reload the task is there.
 *
 * How the failure is made: CDP Storage.overrideQuotaForOrigin (1 byte) did not
 * make this headless Chromium fail a single write, so the test injects the
 * fault itself. A TEST-ONLY init script makes every write to y-indexeddb's
 * `updates` store abort its transaction while `__mindosTestFailWrites` is set,
 * which is what a quota or I/O error does to a real write: the request is
 * queued, then the transaction aborts. Everything after that is the app's own
 * code path (src/board/persistence.ts).
 */
import { test, expect } from '@playwright/test'
import { closeAll, launchPeer, startServer, uniqueRoom } from './harness'
import { submit } from './failover-harness'

type FaultFlag = { __mindosTestFailWrites?: boolean }

test('failing IndexedDB writes (quota or I/O) show a clear message, the tab keeps working, and the board is saved once storage works again', async () => {
  const server = await startServer()
  const peer = await launchPeer()
  try {
    const page = peer.page
    await page.context().addInitScript(() => {
      const add = IDBObjectStore.prototype.add
      IDBObjectStore.prototype.add = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
        const request = add.apply(this, args)
        if ((globalThis as FaultFlag).__mindosTestFailWrites && this.name === 'updates') this.transaction.abort()
        return request
      }
    })
    await page.goto(`${server.url}/?engine=sim&simTps=300#room=${uniqueRoom('storage')}`)
    await expect(page.getByTestId('engine-status')).toHaveAttribute('data-state', 'ready')
    await expect(page.getByTestId('storage-problem')).toBeHidden()
    await page.evaluate(() => void ((globalThis as FaultFlag).__mindosTestFailWrites = true))

    await submit(page, 'Explain how honey bees make honey')
    await expect(page.getByTestId('storage-problem')).toBeVisible()
    await expect(page.getByTestId('storage-problem')).toContainText(/storage is full|Could not save the board/)
    await expect(page.getByTestId('storage-problem')).toContainText('keeps working from memory')
    // Working from memory: the task still runs to its answer.
    await expect(page.getByTestId('final-answer')).toContainText('[simulated]', { timeout: 120_000 })

    await page.evaluate(() => void ((globalThis as FaultFlag).__mindosTestFailWrites = false))
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
