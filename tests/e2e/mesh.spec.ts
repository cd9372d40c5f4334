/**
 * Walking skeleton, end to end: three separate Chromium processes join one
 * room through our signaling server, see each other, share a persistent
 * board, survive a signaling outage and find each other after a restart.
 */
import { test, expect, type Page } from '@playwright/test'
import path from 'node:path'
import { closeAll, expectPeerCount, launchPeer, repoRoot, reopen, startServer, uniqueRoom, type Peer } from './harness'
import type { SwarmServer } from '../../signaling-server/server'

test.describe.configure({ mode: 'serial' })

let server: SwarmServer
let port: number
let peers: Peer[] = []
const room = uniqueRoom('mesh')
const url = (): string => `http://127.0.0.1:${port}/#room=${room}`

async function addTask(page: Page, text: string): Promise<void> {
  await page.getByTestId('task-input').fill(text)
  await page.getByTestId('task-input').press('Enter')
}

async function expectTask(page: Page, text: string): Promise<void> {
  await expect(page.getByTestId('task').filter({ hasText: text })).toHaveCount(1, { timeout: 60_000 })
}

test.beforeAll(async () => {
  server = await startServer()
  port = server.port
  peers = await Promise.all([launchPeer(), launchPeer(), launchPeer()])
})

test.afterAll(async () => {
  await closeAll(peers, server)
})

test('three browsers see each other as peers', async () => {
  await Promise.all(peers.map((p) => p.page.goto(url())))
  for (const p of peers) await expectPeerCount(p.page, 2)
  const ids = await Promise.all(peers.map((p) => p.page.getByTestId('self-id').textContent()))
  expect(new Set(ids).size).toBe(3)
  // Each peer card names one of the other two tabs.
  for (const [i, p] of peers.entries()) {
    const shown = await p.page.getByTestId('peer').evaluateAll((els) => els.map((e) => e.getAttribute('data-peer-id')).sort())
    expect(shown).toEqual(ids.filter((_, j) => j !== i).sort())
  }
  await expect(peers[0]!.page.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected')
})

test('a task typed in one tab appears in the other two', async () => {
  await addTask(peers[0]!.page, 'Summarise the history of the printing press')
  for (const p of peers) await expectTask(p.page, 'Summarise the history of the printing press')
  await addTask(peers[2]!.page, 'Compare three sorting algorithms')
  for (const p of peers) await expectTask(p.page, 'Compare three sorting algorithms')
  // Bad input gets a clear error and adds nothing.
  await peers[1]!.page.getByTestId('task-submit').click()
  await expect(peers[1]!.page.getByTestId('task-error')).toHaveText(/Type a task first/)
  await expect(peers[1]!.page.getByTestId('task')).toHaveCount(2)
  await peers[0]!.page.screenshot({ path: path.join(repoRoot, 'docs', 'peers.png') })
})

test('after a reload the board is still there', async () => {
  await peers[1]!.page.reload()
  await expectTask(peers[1]!.page, 'Summarise the history of the printing press')
  await expectTask(peers[1]!.page, 'Compare three sorting algorithms')
  await expectPeerCount(peers[1]!.page, 2)
})

test('a tab reopened while signaling is unreachable shows the board from IndexedDB', async () => {
  const page = await reopen(peers[2]!, `http://127.0.0.1:${port}/?signaling=ws://127.0.0.1:9/signal#room=${room}`)
  await expectTask(page, 'Summarise the history of the printing press')
  await expectTask(page, 'Compare three sorting algorithms')
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'unreachable')
  await expectPeerCount(page, 0)
  // Work done while isolated is kept locally and merges later.
  await addTask(page, 'Written while isolated')
  await expectTask(page, 'Written while isolated')
})

test('with the signaling server down, connected tabs keep syncing peer to peer', async () => {
  await server.close()
  for (const p of peers.slice(0, 2)) await expect(p.page.getByTestId('connection-status')).not.toHaveAttribute('data-status', 'connected')
  await addTask(peers[0]!.page, 'Written during the outage')
  await expectTask(peers[1]!.page, 'Written during the outage')
  await expectPeerCount(peers[0]!.page, 1)
})

test('after the server restarts, the tabs find each other again without a reload', async () => {
  server = await startServer(port)
  for (const p of peers.slice(0, 2)) await expect(p.page.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected', { timeout: 60_000 })
  const page = await reopen(peers[2]!, url())
  await expectPeerCount(page, 2)
  for (const p of peers) {
    await expectPeerCount(p.page, 2)
    for (const text of ['Summarise the history of the printing press', 'Compare three sorting algorithms', 'Written while isolated', 'Written during the outage']) {
      await expectTask(p.page, text)
    }
  }
  for (const p of peers) expect(p.errors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED|signal/.test(e))).toEqual([])
})
