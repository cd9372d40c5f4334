/**
 * One HTTP port for everything the swarm needs from a server:
 *   /signal   WebSocket upgrade, y-webrtc-compatible signaling (signaling.ts)
 *   /healthz  JSON liveness + a few gauges
 *   /metrics  Prometheus text
 *   /models/  optional model mirror, and always /models/tiny-fixture/ (tiny-fixture.ts);
 *            everything else: the built app (static.ts)
 *
 * Used by the CLI (index.ts) and in-process by tests, which stop and restart
 * it on the same port to simulate an outage: `close()` therefore drops every
 * socket at once and resolves only when the port is free again.
 */
import { readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import type { Clock } from '../src/clock'
import { createLogger } from '../src/log'
import type { SignalingLimits } from './limits'
import { CROSS_ORIGIN_ISOLATION_HEADERS } from './isolation'
import { PerIpCounter, hardPayloadCap, resolveLimits } from './limits'
import { PROMETHEUS_CONTENT_TYPE, RejectReason, SignalingMetrics, renderPrometheus } from './metrics'
import { SIGNALING_PROTOCOL_VERSION } from './protocol'
import { SignalingHub } from './signaling'
import { createStaticHandler } from './static'
import { FIXTURE_DIR, ensureTinyFixture } from './tiny-fixture'

const log = createLogger('signal')

const VERSION: string = (() => {
  try {
    return String(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version)
  } catch {
    return 'unknown'
  }
})()

export const SIGNALING_PATH = '/signal'
export const CA_PATH = '/ca.pem'

export interface SwarmServerOptions {
  /** 0 (the default) picks an ephemeral port; read it back from `SwarmServer.port`. */
  readonly port?: number
  /** Defaults to loopback: exposing the server is an explicit choice. */
  readonly host?: string
  /** The built app, usually `dist/`. Without it every non-API path is a 404. */
  readonly staticDir?: string
  /** Served at /models/ with CORS and Range support. */
  readonly modelsDir?: string
  /**
   * The tiny fixture model served at /models/tiny-fixture/ (ahead of modelsDir).
   * Default: fixtures/tiny-fixture, built on the first request if missing or
   * stale (tiny-fixture.ts); `false` turns the mount off.
   */
  readonly tinyFixtureDir?: string | false
  readonly limits?: Partial<SignalingLimits>
  /** Drives the rate-limit token buckets; tests inject a fake one. */
  readonly clock?: Pick<Clock, 'now'>
  /** PEM certificate and key: serve HTTPS and wss:// on the same port instead of HTTP (tls.ts). */
  readonly tls?: { readonly cert: string; readonly key: string }
  /** The local CA certificate (PEM) behind a self-made `tls`: served at /ca.pem so a phone can install it. */
  readonly caCert?: string
  /**
   * Default true: COOP/COEP on every response (isolation.ts). `false` is for
   * a host that must embed the app cross-origin, and for the tests of the
   * path a page takes when it is not isolated.
   */
  readonly crossOriginIsolation?: boolean
}

export interface SwarmServer {
  /** http://host:port, or https://host:port with `tls` */
  readonly url: string
  readonly port: number
  /** ws://host:port/signal (wss:// with `tls`): what y-webrtc's `signaling` option should contain. */
  readonly signalingUrl: string
  /** Terminates every client and stops listening; resolves once the port is free. Idempotent. */
  close(): Promise<void>
}

export interface HealthReport {
  readonly status: 'ok'
  readonly version: string
  readonly protocolVersion: number
  readonly uptimeSeconds: number
  readonly connections: number
  readonly rooms: number
}

/** Refuses an upgrade with a plain HTTP response; the socket never becomes a WebSocket. */
function rejectUpgrade(socket: Duplex, status: number, text: string, extra = ''): void {
  const body = `${text}\n`
  socket.once('finish', () => socket.destroy())
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
  )
}

/** The URL a client should use: a wildcard bind address is reachable via loopback. */
function hostForUrl(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}

export async function startSwarmServer(opts: SwarmServerOptions = {}): Promise<SwarmServer> {
  const limits = resolveLimits(opts.limits)
  const host = opts.host ?? '127.0.0.1'
  const clock = opts.clock
  const now = clock ? () => clock.now() : () => Date.now()
  const startedAt = performance.now()
  const metrics = new SignalingMetrics()
  const hub = new SignalingHub({ limits, metrics, now })
  const perIp = new PerIpCounter(limits.maxConnectionsPerIp)
  // No permessage-deflate: it costs CPU and memory per connection for tiny JSON frames.
  const wss = new WebSocketServer({ noServer: true, maxPayload: hardPayloadCap(limits), perMessageDeflate: false })
  const fixtureDir = opts.tinyFixtureDir === undefined ? FIXTURE_DIR : opts.tinyFixtureDir
  let fixtureReady: Promise<unknown> | null = null
  const readyFixture = (dir: string): Promise<unknown> =>
    (fixtureReady ??= ensureTinyFixture(dir).catch((err: unknown) => {
      fixtureReady = null // try again on the next request
      log.error('tiny-fixture build failed', { error: String(err) })
      throw err
    }))
  const serveStatic = createStaticHandler({ ...opts, ...(fixtureDir ? { fixture: { dir: fixtureDir, ready: () => readyFixture(fixtureDir) } } : {}) })
  const sockets = new Set<Socket>()

  const health = (): HealthReport => ({
    status: 'ok',
    version: VERSION,
    protocolVersion: SIGNALING_PROTOCOL_VERSION,
    uptimeSeconds: Math.round((performance.now() - startedAt) / 1000),
    connections: hub.connectionCount,
    rooms: hub.registry.topicCount,
  })

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (opts.crossOriginIsolation !== false) for (const [name, value] of Object.entries(CROSS_ORIGIN_ISOLATION_HEADERS)) res.setHeader(name, value)
    const pathname = (req.url ?? '/').split('?')[0]
    const readOnly = req.method === 'GET' || req.method === 'HEAD'
    if (pathname === '/healthz' && readOnly) {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
      return void res.end(req.method === 'HEAD' ? undefined : JSON.stringify(health()))
    }
    if (pathname === '/metrics' && readOnly) {
      const { connections, rooms, uptimeSeconds } = health()
      res.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Cache-Control': 'no-store' })
      return void res.end(req.method === 'HEAD' ? undefined : renderPrometheus(metrics, { connections, rooms, uptimeSeconds }))
    }
    if (pathname === CA_PATH && readOnly && opts.caCert) {
      // This media type makes Android and iOS offer to install it as a trusted certificate.
      res.writeHead(200, { 'Content-Type': 'application/x-x509-ca-cert', 'Content-Disposition': 'attachment; filename="mindos-swarm-ca.pem"', 'Cache-Control': 'no-cache' })
      return void res.end(req.method === 'HEAD' ? undefined : opts.caCert)
    }
    await serveStatic(req, res)
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      log.error('request failed', { url: req.url, error: String(err) })
      if (res.headersSent) res.destroy()
      else res.writeHead(500, { 'Content-Type': 'text/plain' }).end('Internal error\n')
    })
  }
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : http.createServer(onRequest)
  // A device that does not trust the certificate yet aborts the handshake: normal, not an error.
  if (opts.tls) server.on('tlsClientError', (err: Error) => log.debug('TLS handshake failed', { error: String(err) }))
  // With TLS, 'connection' still gives the raw TCP socket: destroying it on close() is what frees the port.
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A peer that resets mid-handshake must not raise an unhandled 'error'.
    socket.on('error', () => socket.destroy())
    if ((req.url ?? '').split('?')[0] !== SIGNALING_PATH) {
      metrics.countReject(RejectReason.BAD_PATH)
      return rejectUpgrade(socket, 400, 'Bad Request')
    }
    // Checked before upgrading so a rejected client costs one HTTP response, not a WebSocket.
    const ip = req.socket.remoteAddress ?? 'unknown'
    if (!perIp.tryAcquire(ip)) {
      metrics.countReject(RejectReason.PER_IP_LIMIT)
      log.warn('per-IP connection limit reached', { ip, limit: limits.maxConnectionsPerIp })
      return rejectUpgrade(socket, 429, 'Too Many Requests', 'Retry-After: 5\r\n')
    }
    // Released on the TCP socket, not the WebSocket: a failed handshake never yields one.
    socket.once('close', () => perIp.release(ip))
    wss.handleUpgrade(req, socket, head, (ws) => hub.attach(ws, ip))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  server.on('error', (err) => log.error('server error', { error: String(err) }))
  const port = (server.address() as AddressInfo).port
  const base = `${hostForUrl(host)}:${port}`
  const scheme = opts.tls ? 'https' : 'http'
  log.debug('listening', { url: `${scheme}://${base}`, limits })

  let closing: Promise<void> | null = null
  return {
    url: `${scheme}://${base}`,
    port,
    signalingUrl: `${opts.tls ? 'wss' : 'ws'}://${base}${SIGNALING_PATH}`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        hub.destroy()
        wss.close()
        // server.close() only stops accepting; its callback waits for every open
        // socket, so destroy them all (keep-alive HTTP, WebSockets, half-done upgrades).
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      })),
  }
}
