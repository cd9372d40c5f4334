/**
 * The HTTP side of the server: /healthz, /metrics, the static app, the
 * /models/ mirror, upgrade routing, and stop/restart on the same port.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SIGNALING_PROTOCOL_VERSION } from '../../signaling-server/protocol'
import { TestClient, cleanup, httpRequest, metric, rawUpgrade, startTestServer, withTimeout } from './signaling-harness'

afterEach(cleanup)

let staticDir = ''
let modelsDir = ''
const SHARD = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251))

beforeAll(() => {
  const root = mkdtempSync(path.join(tmpdir(), 'swarm-static-'))
  staticDir = path.join(root, 'dist')
  modelsDir = path.join(root, 'models')
  mkdirSync(path.join(staticDir, 'assets'), { recursive: true })
  mkdirSync(path.join(modelsDir, 'tiny-model'), { recursive: true })
  writeFileSync(path.join(root, 'secret.txt'), 'outside the mount')
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>swarm</title>')
  writeFileSync(path.join(staticDir, 'assets', 'main-abc123.js'), 'export {}')
  writeFileSync(path.join(staticDir, 'engine.wasm'), Buffer.from([0, 97, 115, 109]))
  writeFileSync(path.join(modelsDir, 'tiny-model', 'params_shard_0.bin'), SHARD)
})

describe('/healthz and /metrics', () => {
  it('reports status, versions and live gauges', async () => {
    const server = await startTestServer()
    const client = await TestClient.open(server.signalingUrl)
    client.send({ type: 'subscribe', topics: ['a', 'b'] })
    await client.roundTrip()
    const res = await httpRequest(server.port, '/healthz')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const body = JSON.parse(res.body.toString()) as Record<string, unknown>
    expect(body).toMatchObject({ status: 'ok', protocolVersion: SIGNALING_PROTOCOL_VERSION, connections: 1, rooms: 2 })
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0)
  })

  it('serves Prometheus text with HELP, TYPE and prefixed names', async () => {
    const server = await startTestServer()
    const client = await TestClient.open(server.signalingUrl)
    await client.roundTrip()
    const res = await httpRequest(server.port, '/metrics')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = res.body.toString()
    expect(text).toContain('# HELP mindos_signaling_connections ')
    expect(text).toContain('# TYPE mindos_signaling_connections gauge\nmindos_signaling_connections 1\n')
    expect(text).toContain('# TYPE mindos_signaling_frames_dropped_total counter')
    expect(text).toContain('mindos_signaling_frames_dropped_total{reason="binary"} 0')
    expect(text).toContain('mindos_signaling_connections_total 1')
    for (const line of text.trimEnd().split('\n')) {
      expect(line).toMatch(/^(# (HELP|TYPE) mindos_signaling_\w+ .+|mindos_signaling_\w+(\{reason="\w+"\})? \d+)$/)
    }
  })
})

describe('WebSocket upgrade routing', () => {
  it.each(['/', '/ws', '/signal/extra', '/healthz'])('refuses an upgrade on %s with 400', async (urlPath) => {
    const server = await startTestServer()
    const peer = await rawUpgrade(server.port, urlPath)
    expect(peer.response).toMatch(/^HTTP\/1\.1 400 /)
    await withTimeout(peer.closed, 'the socket to be destroyed')
    expect(await metric(server.port, 'connections_rejected_total{reason="bad_path"}')).toBe(1)
  })

  it('accepts /signal with a query string', async () => {
    const server = await startTestServer()
    const client = await TestClient.open(`${server.signalingUrl}?client=y-webrtc`)
    await client.roundTrip()
  })
})

describe('static app', () => {
  it('serves index.html for / with no-cache, and hashed assets as immutable', async () => {
    const server = await startTestServer({ staticDir })
    const index = await httpRequest(server.port, '/')
    expect(index.status).toBe(200)
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(index.headers['cache-control']).toBe('no-cache')
    expect(index.body.toString()).toContain('<title>swarm</title>')
    const asset = await httpRequest(server.port, '/assets/main-abc123.js?v=1')
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(asset.headers['cache-control']).toContain('immutable')
    const wasm = await httpRequest(server.port, '/engine.wasm')
    expect(wasm.headers['content-type']).toBe('application/wasm')
  })

  it('makes every response cross-origin isolating (COOP same-origin, COEP require-corp), errors and the API included', async () => {
    const server = await startTestServer({ staticDir, modelsDir })
    // The page needs both on its document to get a SharedArrayBuffer (the inference abort flag); the rest must not break under them.
    for (const url of ['/', '/assets/main-abc123.js', '/engine.wasm', '/nope.js', '/healthz', '/models/tiny-model/params_shard_0.bin']) {
      const res = await httpRequest(server.port, url)
      expect(res.headers['cross-origin-opener-policy'], url).toBe('same-origin')
      expect(res.headers['cross-origin-embedder-policy'], url).toBe('require-corp')
    }
    // The mirror stays readable from other origins' isolated pages: they fetch it in CORS mode.
    expect((await httpRequest(server.port, '/models/tiny-model/params_shard_0.bin')).headers['access-control-allow-origin']).toBe('*')
    const plain = await startTestServer({ staticDir, crossOriginIsolation: false })
    const index = await httpRequest(plain.port, '/')
    expect(index.status).toBe(200)
    expect(index.headers['cross-origin-opener-policy']).toBeUndefined()
    expect(index.headers['cross-origin-embedder-policy']).toBeUndefined()
  })

  it('answers 404 with a short text body for missing files', async () => {
    const server = await startTestServer({ staticDir })
    const res = await httpRequest(server.port, '/nope.js')
    expect(res.status).toBe(404)
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
    expect(res.body.toString()).toBe('Not found\n')
  })

  it.each(['/../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt', '/assets/../../secret.txt', '/..%5csecret.txt', '/%00index.html'])(
    'does not escape the mount: %s',
    async (urlPath) => {
      const server = await startTestServer({ staticDir })
      const res = await httpRequest(server.port, urlPath)
      expect(res.status).toBe(404)
      expect(res.body.toString()).not.toContain('outside the mount')
    },
  )

  it('404s everything but the API when no static dir is configured', async () => {
    const server = await startTestServer()
    expect((await httpRequest(server.port, '/')).status).toBe(404)
  })

  it('refuses methods other than GET and HEAD', async () => {
    const server = await startTestServer({ staticDir })
    expect((await httpRequest(server.port, '/', { method: 'POST' })).status).toBe(405)
  })
})

describe('/models/ mirror', () => {
  const shard = '/models/tiny-model/params_shard_0.bin'

  it('serves whole files with CORS and Accept-Ranges', async () => {
    const server = await startTestServer({ modelsDir })
    const res = await httpRequest(server.port, shard)
    expect(res.status).toBe(200)
    expect(res.headers['access-control-allow-origin']).toBe('*')
    expect(res.headers['accept-ranges']).toBe('bytes')
    expect(res.body.equals(SHARD)).toBe(true)
  })

  it.each([
    ['bytes=100-199', 100, 199],
    ['bytes=4000-', 4000, 4095],
    ['bytes=-10', 4086, 4095],
    ['bytes=4090-99999', 4090, 4095],
  ])('answers Range %s with 206 and exactly those bytes', async (range, start, end) => {
    const server = await startTestServer({ modelsDir })
    const res = await httpRequest(server.port, shard, { headers: { Range: range } })
    expect(res.status).toBe(206)
    expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/4096`)
    expect(res.headers['content-length']).toBe(String(end - start + 1))
    expect(res.body.equals(SHARD.subarray(start, end + 1))).toBe(true)
  })

  it('answers an unsatisfiable Range with 416', async () => {
    const server = await startTestServer({ modelsDir })
    const res = await httpRequest(server.port, shard, { headers: { Range: 'bytes=5000-6000' } })
    expect(res.status).toBe(416)
    expect(res.headers['content-range']).toBe('bytes */4096')
  })

  it('answers HEAD with headers only, and a CORS preflight', async () => {
    const server = await startTestServer({ modelsDir })
    const head = await httpRequest(server.port, shard, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers['content-length']).toBe('4096')
    expect(head.body).toHaveLength(0)
    const preflight = await httpRequest(server.port, shard, { method: 'OPTIONS' })
    expect(preflight.status).toBe(204)
    expect(preflight.headers['access-control-allow-headers']).toContain('Range')
  })

  it('does not escape the models dir and 404s missing shards with CORS', async () => {
    const server = await startTestServer({ staticDir, modelsDir })
    expect((await httpRequest(server.port, '/models/..%2fsecret.txt')).status).toBe(404)
    const missing = await httpRequest(server.port, '/models/tiny-model/nope.bin')
    expect(missing.status).toBe(404)
    expect(missing.headers['access-control-allow-origin']).toBe('*')
  })
})

describe('stop and restart', () => {
  it('close() drops clients at once and frees the port for an immediate restart', async () => {
    const first = await startTestServer({ staticDir })
    const client = await TestClient.open(first.signalingUrl)
    client.send({ type: 'subscribe', topics: ['r'] })
    await client.roundTrip()
    // Neither an idle keep-alive connection nor a request stuck mid-headers may hold close() open.
    await httpRequest(first.port, '/healthz', { headers: { Connection: 'keep-alive' } })
    const stuck = net.connect(first.port, '127.0.0.1')
    // The server resetting this socket is the point of the test: a reset surfaces as 'error'.
    stuck.on('error', () => {})
    await new Promise((resolve) => stuck.once('connect', resolve))
    const stuckClosed = new Promise((resolve) => stuck.once('close', resolve))
    stuck.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
    await withTimeout(first.close(), 'close() to resolve')
    await withTimeout(stuckClosed, 'the half-sent request to be dropped')
    expect((await withTimeout(client.closed, 'the client to see the outage')).code).toBe(1006)

    const second = await startTestServer({ port: first.port, staticDir })
    expect(second.port).toBe(first.port)
    const again = await TestClient.open(second.signalingUrl)
    await again.roundTrip()
    await second.close()
    await second.close()
  })
})
