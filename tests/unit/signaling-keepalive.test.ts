/**
 * Keepalive: the server pings every `keepaliveIntervalMs` and terminates a
 * connection that has not ponged by the next ping. Intervals are tiny, and the
 * tests wait for events (pings seen, sockets closed), never for fixed times.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { TestClient, cleanup, metric, rawUpgrade, startTestServer, waitUntil, withTimeout } from './signaling-harness'

afterEach(cleanup)

describe('keepalive', () => {
  it('terminates a peer that never answers pings and frees its rooms', async () => {
    const server = await startTestServer({ limits: { keepaliveIntervalMs: 50 } })
    const dead = await rawUpgrade(server.port)
    expect(dead.response).toMatch(/^HTTP\/1\.1 101 /)
    // A minimal masked client text frame: {"type":"subscribe","topics":["r"]}.
    const payload = Buffer.from(JSON.stringify({ type: 'subscribe', topics: ['r'] }))
    const mask = Buffer.from([1, 2, 3, 4])
    const masked = payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0))
    dead.socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]))
    await waitUntil(async () => (await metric(server.port, 'rooms')) === 1, 'the raw peer to subscribe')

    await withTimeout(dead.closed, 'the server to drop the silent peer')
    expect(await metric(server.port, 'connections_closed_total{reason="keepalive_timeout"}')).toBe(1)
    await waitUntil(async () => (await metric(server.port, 'rooms')) === 0, 'its room to be removed')
  })

  it('keeps a responsive client across many ping intervals', async () => {
    const server = await startTestServer({ limits: { keepaliveIntervalMs: 20 } })
    const live = await TestClient.open(server.signalingUrl)
    let pings = 0
    const fivePings = new Promise<void>((resolve) =>
      live.ws.on('ping', () => {
        if (++pings === 5) resolve()
      }),
    )
    await withTimeout(fivePings, 'five keepalive pings')
    // Five intervals passed: a non-answering peer would have been dropped after two.
    await live.roundTrip()
    expect(await metric(server.port, 'connections_closed_total{reason="keepalive_timeout"}')).toBe(0)
  })

  it('drops a client whose socket stopped reading, while its neighbour stays', async () => {
    const server = await startTestServer({ limits: { keepaliveIntervalMs: 50 } })
    const [stalled, neighbour] = [await TestClient.open(server.signalingUrl), await TestClient.open(server.signalingUrl)]
    ;(stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    await waitUntil(
      async () => (await metric(server.port, 'connections_closed_total{reason="keepalive_timeout"}')) === 1,
      'the stalled client to be dropped',
    )
    expect(await metric(server.port, 'connections')).toBe(1)
    await neighbour.roundTrip()
  })
})
