/**
 * Test harness for the signaling server: real servers on ephemeral ports, real
 * `ws` clients, raw TCP peers that never answer pings, and plain HTTP. Every
 * wait is for an event or a condition with a timeout, never a fixed sleep.
 * Call `cleanup()` in afterEach: it closes whatever the test opened.
 */
import { spawn } from 'node:child_process'
import http from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { setLogLevel } from '../../src/log'
import { startSwarmServer } from '../../signaling-server/server'
import type { SwarmServer, SwarmServerOptions } from '../../signaling-server/server'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const DEFAULT_TIMEOUT_MS = 3000

// These tests provoke drop/close warnings on purpose and assert on counters instead.
setLogLevel('error')

const cleanups: (() => Promise<void> | void)[] = []

export async function cleanup(): Promise<void> {
  const pending = cleanups.splice(0).reverse()
  for (const fn of pending) await fn()
}

export async function startTestServer(opts: SwarmServerOptions = {}): Promise<SwarmServer> {
  const server = await startSwarmServer({ port: 0, ...opts })
  cleanups.push(() => server.close())
  return server
}

/** A clock the test moves by hand, for the rate-limit token buckets. */
export function manualClock(start = 1_000_000): { now(): number; advance(ms: number): void } {
  let t = start
  return { now: () => t, advance: (ms) => void (t += ms) }
}

export interface Received {
  readonly raw: string
  readonly frame: Record<string, unknown>
}

export class TestClient {
  readonly messages: Received[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  private cursor = 0
  private readonly waiters = new Set<() => void>()

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData) => {
      const raw = data.toString()
      this.messages.push({ raw, frame: JSON.parse(raw) as Record<string, unknown> })
      for (const wake of this.waiters) wake()
    })
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  }

  static async open(url: string): Promise<TestClient> {
    const ws = new WebSocket(url)
    const client = new TestClient(ws)
    cleanups.push(() => client.terminate())
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return client
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame))
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary })
  }

  /**
   * Resolves with the next message (after those already consumed) matching
   * `predicate`; skipped messages stay in `messages` for later inspection.
   */
  async next(predicate: (frame: Record<string, unknown>) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Received> {
    let found: Received | undefined
    await this.until(() => {
      const at = this.messages.findIndex((m, i) => i >= this.cursor && predicate(m.frame))
      if (at < 0) return false
      found = this.messages[at]
      this.cursor = at + 1
      return true
    }, timeoutMs)
    return found as Received
  }

  /**
   * Ping/pong round trip: once it returns, every frame this client sent before
   * has been handled. Counts pongs instead of consuming them, so an earlier
   * unanswered or unconsumed ping cannot satisfy it.
   */
  async roundTrip(): Promise<void> {
    const pongs = (): number => this.messages.filter((m) => m.frame.type === 'pong').length
    const before = pongs()
    this.send({ type: 'ping' })
    await this.until(() => pongs() > before)
  }

  private until(cond: () => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!cond()) return
        done()
        resolve()
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages.map((m) => m.raw))}`))
      }, timeoutMs)
      const done = (): void => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
      check()
    })
  }

  /** Publishes seen so far on `topic`, consumed or not. */
  publishesOn(topic: string): Received[] {
    return this.messages.filter((m) => m.frame.type === 'publish' && m.frame.topic === topic)
  }

  terminate(): void {
    this.ws.terminate()
  }
}

export function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs)
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e)),
    )
  })
}

/** Polls a condition on server-side state (metrics, health) until it holds. */
export async function waitUntil(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

export interface RawPeer {
  readonly socket: net.Socket
  /** The HTTP status line and headers the server answered the upgrade with. */
  readonly response: string
  readonly closed: Promise<void>
}

/**
 * A peer that completes the WebSocket handshake by hand and then never answers
 * anything: the dead client `ws` cannot simulate, because ws clients auto-pong.
 */
export function rawUpgrade(port: number, urlPath = '/signal'): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    cleanups.push(() => void socket.destroy())
    const closed = new Promise<void>((r) => socket.once('close', () => r()))
    let buffer = ''
    socket.on('error', reject)
    socket.on('data', function onData(chunk: Buffer) {
      buffer += chunk.toString('latin1')
      if (!buffer.includes('\r\n\r\n')) return
      // Keep reading (and discarding pings) so the server's FIN is seen; just never answer.
      socket.off('data', onData)
      socket.on('data', () => undefined)
      resolve({ socket, response: buffer.slice(0, buffer.indexOf('\r\n\r\n')), closed })
    })
    socket.write(
      `GET ${urlPath} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    )
  })
}

export interface HttpResult {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/** Sends `urlPath` verbatim (fetch would normalise `/../`, hiding traversal bugs). */
export function httpRequest(port: number, urlPath: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: init.method ?? 'GET', headers: init.headers ?? {} }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Scrapes /metrics into `name{labels}` → value. */
export async function scrape(port: number): Promise<Map<string, number>> {
  const { body } = await httpRequest(port, '/metrics')
  const samples = new Map<string, number>()
  for (const line of body.toString().split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    samples.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return samples
}

export async function metric(port: number, name: string): Promise<number> {
  const value = (await scrape(port)).get(`mindos_signaling_${name}`)
  if (value === undefined) throw new Error(`metric ${name} not found`)
  return value
}

/**
 * Runs y-webrtc's own bin/server.js (the stock server we replace) in a child
 * process, for differential tests. Stopped by cleanup().
 */
export async function startStockServer(): Promise<{ url: string }> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
  })
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'node_modules/y-webrtc/bin/server.js')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  cleanups.push(() => void child.kill())
  await withTimeout(
    new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('running') && resolve())),
    'the stock y-webrtc signaling server to start',
    10_000,
  )
  return { url: `ws://127.0.0.1:${port}` }
}
