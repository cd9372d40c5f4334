/**
 * E2E harness: separate Chromium *processes* (not pages of one browser, so
 * BroadcastChannel cannot hide a broken WebRTC path), each with its own
 * profile, plus an in-process signaling server the spec controls.
 */
import { chromium, type Browser, type BrowserContext, type Page, expect } from '@playwright/test'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startSwarmServer, type SwarmServer } from '../../signaling-server/server'

const here = path.dirname(fileURLToPath(import.meta.url))
export const repoRoot = path.resolve(here, '../..')
/** MINDOS_DIST serves another build (e.g. one with a defence switched off, to prove a test can fail). */
export const distDir = process.env.MINDOS_DIST ?? path.join(repoRoot, 'dist')

const BASE_FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // WebRTC over loopback between processes: don't hide host candidates behind mDNS.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
]
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader']

export interface Peer {
  readonly browser: Browser
  readonly context: BrowserContext
  page: Page
  /** Console errors and uncaught page errors seen so far (tests assert on these). */
  readonly errors: string[]
  readonly logs: string[]
}

/** `args`: extra Chromium flags (e.g. --host-resolver-rules for a LAN-like host name). */
export async function launchPeer(opts: { webgpu?: boolean; args?: readonly string[] } = {}): Promise<Peer> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...BASE_FLAGS, ...(opts.webgpu ? WEBGPU_FLAGS : []), ...(opts.args ?? [])],
  })
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
  const page = await context.newPage()
  const peer: Peer = { browser, context, page, errors: [], logs: [] }
  watchPage(peer, page)
  return peer
}

export function watchPage(peer: Peer, page: Page): void {
  page.on('console', (msg) => {
    const text = msg.text()
    peer.logs.push(`[${msg.type()}] ${text}`)
    if (msg.type() === 'error') peer.errors.push(text)
  })
  page.on('pageerror', (err) => peer.errors.push(`pageerror: ${err.message}`))
}

/** Opens a fresh page in the same profile (same IndexedDB), closing the old one first. */
export async function reopen(peer: Peer, url: string): Promise<Page> {
  await peer.page.close()
  peer.page = await peer.context.newPage()
  watchPage(peer, peer.page)
  await peer.page.goto(url)
  return peer.page
}

export async function startServer(port = 0, opts: { crossOriginIsolation?: boolean } = {}): Promise<SwarmServer> {
  return startSwarmServer({ port, host: '127.0.0.1', staticDir: distDir, ...opts })
}

export function uniqueRoom(prefix = 'e2e'): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}

export async function expectPeerCount(page: Page, n: number): Promise<void> {
  await expect(page.getByTestId('peer-count')).toHaveText(String(n), { timeout: 60_000 })
}

export async function closeAll(peers: readonly Peer[], server?: SwarmServer): Promise<void> {
  await Promise.allSettled(peers.map((p) => p.browser.close()))
  if (server) await server.close()
}
