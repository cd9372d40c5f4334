/**
 * Every limit and every kind of bad input, against a real server. Each case
 * checks both what the offender sees (nothing, or a close code) and the
 * counters, and that the connection (or its neighbours) still work afterwards.
 */
import WebSocket from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_SIGNALING_LIMITS } from '../../signaling-server/limits'
import type { SwarmServer } from '../../signaling-server/server'
import { TestClient, cleanup, manualClock, metric, scrape, startTestServer, waitUntil, withTimeout } from './signaling-harness'

afterEach(cleanup)

async function dropped(server: SwarmServer, reason: string): Promise<number> {
  return metric(server.port, `frames_dropped_total{reason="${reason}"}`)
}

describe('bad input is dropped, the connection survives', () => {
  it.each([
    ['malformed_json', '{"type":"subscribe",'],
    ['not_an_object', '[1,2,3]'],
    ['not_an_object', '"ping"'],
    ['unknown_type', '{"type":"hello"}'],
    ['unknown_type', '{"topics":["x"]}'],
    ['invalid_topics', '{"type":"subscribe","topics":["ok",42]}'],
    ['invalid_topics', '{"type":"subscribe","topics":"room"}'],
    ['invalid_topics', '{"type":"unsubscribe"}'],
    ['invalid_topic', '{"type":"publish","topic":7,"data":{}}'],
    ['invalid_topic', '{"type":"publish","data":{}}'],
  ])('%s: %s', async (reason, raw) => {
    const server = await startTestServer()
    const a = await TestClient.open(server.signalingUrl)
    a.sendRaw(raw)
    await a.roundTrip()
    expect(await dropped(server, reason)).toBe(1)
    expect(a.messages.map((m) => m.raw)).toEqual(['{"type":"pong"}'])
  })

  it('drops binary frames, even valid JSON ones', async () => {
    const server = await startTestServer()
    const a = await TestClient.open(server.signalingUrl)
    a.sendRaw(Buffer.from('{"type":"ping"}'), true)
    await a.roundTrip()
    expect(a.messages).toHaveLength(1)
    expect(await dropped(server, 'binary')).toBe(1)
  })

  it('drops a too-long topic name and topics past the per-connection cap, keeping the rest', async () => {
    const server = await startTestServer({ limits: { maxTopicsPerConnection: 3, maxTopicNameLength: 10 } })
    const a = await TestClient.open(server.signalingUrl)
    a.send({ type: 'subscribe', topics: ['t1', 'x'.repeat(11), '', 't2', 't3', 't4'] })
    a.send({ type: 'subscribe', topics: ['t1', 't5'] })
    await a.roundTrip()
    expect(await dropped(server, 'topic_too_long')).toBe(1)
    expect(await dropped(server, 'empty_topic')).toBe(1)
    expect(await dropped(server, 'too_many_topics')).toBe(2)
    for (const topic of ['t1', 't2', 't3', 't4', 't5']) a.send({ type: 'publish', topic, data: topic })
    await a.roundTrip()
    expect(a.messages.filter((m) => m.frame.type === 'publish').map((m) => m.frame.topic)).toEqual(['t1', 't2', 't3'])
  })
})

describe('violations that close the connection', () => {
  it('closes with 1009 on a frame over maxFrameBytes', async () => {
    const server = await startTestServer({ limits: { maxFrameBytes: 1000 } })
    const a = await TestClient.open(server.signalingUrl)
    a.send({ type: 'publish', topic: 't', data: 'x'.repeat(1000) })
    expect(await withTimeout(a.closed, 'the close')).toEqual({ code: 1009, reason: 'frame too big' })
    expect(await metric(server.port, 'connections_closed_total{reason="frame_too_big"}')).toBe(1)
  })

  it('accepts a frame of exactly maxFrameBytes', async () => {
    const server = await startTestServer({ limits: { maxFrameBytes: 1000 } })
    const a = await TestClient.open(server.signalingUrl)
    const frame = JSON.stringify({ type: 'ping', pad: '' })
    a.sendRaw(JSON.stringify({ type: 'ping', pad: 'x'.repeat(1000 - frame.length) }))
    await a.next((f) => f.type === 'pong')
  })

  it('lets ws itself cut off a frame far past the cap (1009) before buffering it', async () => {
    const server = await startTestServer({ limits: { maxFrameBytes: 1000 } })
    const a = await TestClient.open(server.signalingUrl)
    a.sendRaw('x'.repeat(100_000))
    expect((await withTimeout(a.closed, 'the close')).code).toBe(1009)
  })

  it('drops frames over the rate limit, then closes with 1008 when it is sustained', async () => {
    const clock = manualClock()
    const server = await startTestServer({
      clock,
      limits: { messageBurst: 5, messagesPerSecond: 1, rateViolationsBeforeClose: 10 },
    })
    const a = await TestClient.open(server.signalingUrl)
    for (let i = 0; i < 7; i++) a.send({ type: 'ping' })
    await waitUntil(async () => (await dropped(server, 'rate_limited')) === 2, 'two frames to be dropped')
    // The clock is frozen, so only refilling a token lets the next frame through.
    clock.advance(1000)
    await a.roundTrip()
    expect(a.messages.filter((m) => m.frame.type === 'pong')).toHaveLength(6)
    expect(await dropped(server, 'rate_limited')).toBe(2)

    for (let i = 0; i < 20; i++) a.send({ type: 'ping' })
    expect(await withTimeout(a.closed, 'the close')).toEqual({ code: 1008, reason: 'rate limit exceeded' })
    expect(await metric(server.port, 'connections_closed_total{reason="rate_limit"}')).toBe(1)
  })

  it('refuses connections past the per-IP cap with HTTP 429, and frees the slot on close', async () => {
    const server = await startTestServer({ limits: { maxConnectionsPerIp: 2 } })
    const a = await TestClient.open(server.signalingUrl)
    await TestClient.open(server.signalingUrl)
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(server.signalingUrl)
      ws.on('error', () => undefined) // terminate() during the handshake reports an abort
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0)
        ws.terminate()
      })
      ws.on('open', () => reject(new Error('third connection was accepted')))
    })
    expect(status).toBe(429)
    expect(await metric(server.port, 'connections_rejected_total{reason="per_ip_limit"}')).toBe(1)
    a.ws.close()
    await a.closed
    await waitUntil(async () => (await metric(server.port, 'connections')) === 1, 'the slot to be freed')
    const c = await TestClient.open(server.signalingUrl)
    await c.roundTrip()
  })
})

describe('isolation', () => {
  it('a garbage flood from one client does not disturb another room', async () => {
    const clock = manualClock()
    const server = await startTestServer({ clock, limits: { messageBurst: 50, rateViolationsBeforeClose: 1000 } })
    const attacker = await TestClient.open(server.signalingUrl)
    const [b, c] = [await TestClient.open(server.signalingUrl), await TestClient.open(server.signalingUrl)]
    b.send({ type: 'subscribe', topics: ['calm-room'] })
    c.send({ type: 'subscribe', topics: ['calm-room'] })
    await Promise.all([b.roundTrip(), c.roundTrip()])

    const garbage = ['{', '[]', 'null', '{"type":"x"}', '{"type":"subscribe","topics":[{}]}', '\u0000']
    for (let i = 0; i < 600; i++) attacker.sendRaw(garbage[i % garbage.length] ?? '')
    attacker.sendRaw(Buffer.alloc(64), true)
    attacker.send({ type: 'publish', topic: 'calm-room', data: 'spam' })

    await b.roundTrip()
    b.send({ type: 'publish', topic: 'calm-room', data: 'hello' })
    const { frame } = await c.next((f) => f.data === 'hello')
    expect(frame.clients).toBe(2)
    await waitUntil(async () => (await scrape(server.port)).get('mindos_signaling_frames_received_total') === 602 + 4 + 2, 'every frame to be counted')
    expect(c.publishesOn('calm-room').map((m) => m.frame.data)).toEqual(['hello'])
    // The attacker is rate limited but, with this violation budget, still connected.
    expect(attacker.ws.readyState).toBe(WebSocket.OPEN)
    expect(await dropped(server, 'rate_limited')).toBe(602 - 50)
  })

  it('a client that stops reading is cut off instead of buffering without bound', async () => {
    const server = await startTestServer({
      limits: { maxBufferedBytes: 64 * 1024, messagesPerSecond: 1e6, messageBurst: 1e6 },
    })
    const reader = await TestClient.open(server.signalingUrl)
    reader.send({ type: 'subscribe', topics: ['busy'] })
    await reader.roundTrip()
    // Stop reading: the kernel buffers fill, then ws queues in user space.
    ;(reader.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    const publisher = await TestClient.open(server.signalingUrl)
    const payload = 'x'.repeat(DEFAULT_SIGNALING_LIMITS.maxFrameBytes - 100)
    await waitUntil(
      async () => {
        for (let i = 0; i < 20; i++) publisher.send({ type: 'publish', topic: 'busy', data: payload })
        await publisher.roundTrip()
        return (await metric(server.port, 'connections_closed_total{reason="slow_consumer"}')) === 1
      },
      'the slow consumer to be cut off',
      15_000,
    )
    expect(await metric(server.port, 'rooms')).toBe(0)
    await publisher.roundTrip()
  })
})
