/**
 * The installable app: a valid manifest with real icons, a registered service
 * worker that precaches the app shell (and never caches /models/), a reload
 * with the server stopped that opens the app with its board from IndexedDB
 * and says signaling is unreachable, and an update that shows a notice and
 * applies on the next load.
 */
import { test, expect, type Page } from '@playwright/test'
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PNG } from 'pngjs'
import { startSwarmServer, type SwarmServer } from '../../signaling-server/server'
import { closeAll, distDir, launchPeer, uniqueRoom, type Peer } from './harness'

interface Manifest {
  name: string
  short_name: string
  start_url: string
  display: string
  icons: { src: string; sizes: string; type: string; purpose?: string }[]
}

async function shellReady(page: Page): Promise<void> {
  await expect(page.locator('html')).toHaveAttribute('data-app-shell', 'ready', { timeout: 120_000 })
  expect(await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state)).toBe('activated')
}

test('manifest and service worker; with the server stopped a reload opens the app and the earlier task', async () => {
  let server: SwarmServer | null = await startSwarmServer({ port: 0, host: '127.0.0.1', staticDir: distDir })
  const peer = await launchPeer()
  const port = server.port
  try {
    const page = peer.page
    const base = server.url
    await page.goto(`${base}/?engine=sim&simTps=400#room=${uniqueRoom('pwa')}`)
    expect(await page.evaluate(() => self.crossOriginIsolated), 'the page is cross-origin isolated').toBe(true)

    // The manifest: linked from the page, served with its media type, and every icon a real PNG of its size.
    const href = await page.locator('link[rel="manifest"]').getAttribute('href')
    const res = await page.request.get(new URL(href!, base).href)
    expect(res.headers()['content-type']).toContain('application/manifest+json')
    const manifest = (await res.json()) as Manifest
    expect(manifest).toMatchObject({ name: 'MindOS Swarm', start_url: '/', display: 'standalone' })
    expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']))
    expect(manifest.icons.some((i) => i.purpose === 'maskable')).toBe(true)
    for (const icon of manifest.icons) {
      const r = await page.request.get(new URL(icon.src, base).href)
      expect(r.headers()['content-type']).toBe(icon.type)
      const png = PNG.sync.read(await r.body())
      expect(`${png.width}x${png.height}`).toBe(icon.sizes)
    }

    await shellReady(page)
    await page.getByTestId('task-input').fill('Name three uses of a service worker')
    await page.getByTestId('task-submit').click()
    await expect(page.getByTestId('final-answer')).toBeVisible({ timeout: 60_000 })
    // Model files are never the service worker's: fetch one, then look through every cache.
    expect((await page.request.get(`${base}/models/tiny-fixture/config.json`)).ok()).toBe(true)
    await page.evaluate(() => fetch('/models/tiny-fixture/config.json').then((r) => r.text()))
    const cached = await page.evaluate(async () => (await Promise.all((await caches.keys()).map(async (k) => (await (await caches.open(k)).keys()).map((r) => r.url)))).flat())
    expect(cached.some((u) => u.includes('/index.html'))).toBe(true)
    expect(cached.filter((u) => /\/models\/|\/signal|\/healthz/.test(u))).toEqual([])

    await server.close()
    server = null
    await page.reload()
    await expect(page.getByTestId('task')).toContainText('Name three uses of a service worker')
    await expect(page.getByTestId('task')).toHaveAttribute('data-status', 'done')
    await expect(page.getByTestId('final-answer')).toBeVisible()
    // The shell from the service worker's cache keeps the server's COOP/COEP: the shared abort flag works offline too.
    expect(await page.evaluate(() => self.crossOriginIsolated), 'the page opened offline is cross-origin isolated').toBe(true)
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'unreachable', { timeout: 60_000 })
    await expect(page.getByTestId('connection-status')).toContainText('Signaling unreachable')
    // Only the unreachable server may complain (the browser logs failed WebSocket attempts as errors).
    expect(peer.errors.filter((e) => !/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/signal' failed|ERR_CONNECTION_REFUSED/.test(e))).toEqual([])
  } finally {
    await closeAll([peer])
    await server?.close()
  }
  expect(port).toBeGreaterThan(0)
})

test('an update shows a notice and applies on the next load', async () => {
  // Build B: the same app with a changed page (a marker) and so a changed service worker precache.
  const distB = mkdtempSync(path.join(tmpdir(), 'mindos-dist-b-'))
  cpSync(distDir, distB, { recursive: true })
  const html = readFileSync(path.join(distB, 'index.html'), 'utf8').replace('<head>', '<head><meta name="mindos-build" content="B">')
  writeFileSync(path.join(distB, 'index.html'), html)
  const sw = readFileSync(path.join(distB, 'sw.js'), 'utf8').replace(/(\{url:"index\.html",revision:")[0-9a-f]+"/, '$1b0000000000000000000000000000b"')
  expect(sw).toContain('b0000000000000000000000000000b')
  writeFileSync(path.join(distB, 'sw.js'), sw)

  let server: SwarmServer = await startSwarmServer({ port: 0, host: '127.0.0.1', staticDir: distDir })
  const port = server.port
  const peer = await launchPeer()
  const peers: Peer[] = [peer]
  try {
    const page = peer.page
    const url = `${server.url}/?engine=sim#room=${uniqueRoom('pwa-update')}`
    await page.goto(url)
    await shellReady(page)
    await expect(page.getByTestId('app-update')).toBeHidden()

    await server.close()
    server = await startSwarmServer({ port, host: '127.0.0.1', staticDir: distB })
    await page.evaluate(async () => void (await (await navigator.serviceWorker.ready).update()))
    const notice = page.getByTestId('app-update')
    await expect(notice).toBeVisible({ timeout: 60_000 })
    await expect(notice).toContainText('applies the next time this page loads')
    await expect(page.locator('meta[name="mindos-build"]')).toHaveCount(0) // still the old version

    // The next load switches to the new version by itself (one extra reload, no click).
    await page.reload()
    await expect(page.locator('meta[name="mindos-build"]')).toHaveCount(1, { timeout: 60_000 })
    await expect(page.getByTestId('app-update')).toBeHidden()
    await expect(page.getByTestId('room-name')).toBeVisible()
  } finally {
    await closeAll(peers, server)
  }
})
