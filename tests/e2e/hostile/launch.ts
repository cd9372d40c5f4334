/**
 * Launches the hostile client (client.ts) in its own Chromium process and
 * joins it to a room. The bundle is built once per test process with the
 * project's own Vite (into a temp dir, from node_modules' stock yjs and
 * y-webrtc) and served by a second static server on 127.0.0.1, a secure
 * context, so WebRTC and WebCrypto (y-webrtc's room password) work.
 */
import { expect, type Page } from '@playwright/test'
import http from 'node:http'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { launchPeer, repoRoot, type Peer } from '../harness'
import type { HostileApi, JoinOptions } from './client'

export interface Hostile {
  readonly peer: Peer
  readonly page: Page
  /** Runs one driver call inside the hostile page. */
  call<K extends keyof HostileApi>(name: K, ...args: Parameters<HostileApi[K]>): Promise<Awaited<ReturnType<HostileApi[K]>>>
  close(): Promise<void>
}

let bundle: Promise<string> | null = null

async function buildBundle(): Promise<string> {
  const { build } = await import('vite')
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'mindos-hostile-'))
  try {
    await build({
      configFile: false,
      logLevel: 'silent',
      root: repoRoot,
      build: { outDir, emptyOutDir: true, minify: false, lib: { entry: path.join(repoRoot, 'tests/e2e/hostile/client.ts'), formats: ['iife'], name: 'hostileBundle', fileName: () => 'hostile.js' } },
    })
    return await readFile(path.join(outDir, 'hostile.js'), 'utf8')
  } finally {
    await rm(outDir, { recursive: true, force: true })
  }
}

/** A static server of its own, so the hostile page shares nothing with the app's origin. */
async function serveHostile(code: string): Promise<{ url: string; close: () => Promise<void> }> {
  const page = '<!doctype html><meta charset="utf-8"><title>hostile</title><script src="/hostile.js"></script>'
  const server = http.createServer((req, res) => {
    if (req.url === '/hostile.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(code)
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(page)
    else res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export async function launchHostile(join: JoinOptions): Promise<Hostile> {
  bundle ??= buildBundle()
  const site = await serveHostile(await bundle)
  const peer = await launchPeer()
  const close = async (): Promise<void> => {
    await peer.browser.close().catch(() => undefined)
    await site.close()
  }
  try {
    await peer.page.goto(site.url)
    await peer.page.waitForFunction(() => 'hostile' in window)
    await peer.page.evaluate((opts) => (window as unknown as { hostile: HostileApi }).hostile.join(opts), join)
  } catch (err) {
    await close()
    throw err
  }
  return {
    peer,
    page: peer.page,
    call: (name, ...args) =>
      peer.page.evaluate(
        ([n, a]) => (window as unknown as { hostile: Record<string, (...x: unknown[]) => unknown> }).hostile[n as string]!(...(a as unknown[])),
        [name, args] as const,
      ) as never,
    close,
  }
}

/** Waits until the hostile client has a direct connection to `peers` tabs and holds at least `records` board records of at least `tasks` tasks. */
export async function expectHostileSynced(h: Hostile, peers: number, records: number, tasks: number): Promise<void> {
  await expect.poll(async () => (await h.call('state')).connected, { timeout: 90_000 }).toBeGreaterThanOrEqual(peers)
  await expect.poll(async () => (await h.call('state')).records, { timeout: 90_000 }).toBeGreaterThanOrEqual(records)
  await expect.poll(async () => (await h.call('state')).tasks, { timeout: 90_000 }).toBeGreaterThanOrEqual(tasks)
}
