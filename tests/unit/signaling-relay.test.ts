/**
 * The signaling protocol end to end: real ws clients against a real server.
 * Negative checks ("B never got it") use a marker: frames from one connection
 * are handled in order, so once a later frame arrives an earlier one never will.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { TestClient, cleanup, metric, startTestServer, waitUntil } from './signaling-harness'

afterEach(cleanup)

async function connected(n: number): Promise<{ port: number; clients: TestClient[] }> {
  const server = await startTestServer()
  const clients = await Promise.all(Array.from({ length: n }, () => TestClient.open(server.signalingUrl)))
  return { port: server.port, clients }
}

async function subscribe(client: TestClient, ...topics: string[]): Promise<void> {
  client.send({ type: 'subscribe', topics })
  await client.roundTrip()
}

/** Two clients, `a` subscribed to `topicsA` and `b` to `topicsB`, both acknowledged. */
async function pair(topicsA: string[], topicsB: string[]): Promise<{ port: number; a: TestClient; b: TestClient }> {
  const { port, clients } = await connected(2)
  const [a, b] = clients as [TestClient, TestClient]
  await subscribe(a, ...topicsA)
  await subscribe(b, ...topicsB)
  return { port, a, b }
}

describe('signaling relay', () => {
  it('relays a publish to every subscriber of the topic, sender included, with clients = receivers', async () => {
    const { clients } = await connected(3)
    const [a, b, c] = clients as [TestClient, TestClient, TestClient]
    await Promise.all([subscribe(a, 'room-1'), subscribe(b, 'room-1'), subscribe(c, 'room-1')])
    a.send({ type: 'publish', topic: 'room-1', data: { type: 'announce', from: 'peer-a' } })
    const expected = { type: 'publish', topic: 'room-1', data: { type: 'announce', from: 'peer-a' }, clients: 3 }
    for (const client of [a, b, c]) {
      const { frame } = await client.next((f) => f.type === 'publish')
      expect(frame).toEqual(expected)
    }
  })

  it('does not deliver to subscribers of other topics', async () => {
    const { a, b } = await pair(['room-a'], ['room-b'])
    a.send({ type: 'publish', topic: 'room-a', data: 'for a' })
    a.send({ type: 'publish', topic: 'room-b', data: 'marker' })
    await b.next((f) => f.data === 'marker')
    expect(b.publishesOn('room-a')).toEqual([])
    const { frame } = await a.next((f) => f.type === 'publish')
    expect(frame).toMatchObject({ topic: 'room-a', data: 'for a', clients: 1 })
  })

  it('stops delivery after unsubscribe and drops the emptied room', async () => {
    const { port, a, b } = await pair(['room-1', 'marker'], ['room-1'])
    expect(await metric(port, 'rooms')).toBe(2)
    a.send({ type: 'unsubscribe', topics: ['room-1'] })
    await a.roundTrip()
    b.send({ type: 'publish', topic: 'room-1', data: 'after unsubscribe' })
    b.send({ type: 'publish', topic: 'marker', data: 'marker' })
    const { frame } = await b.next((f) => f.type === 'publish')
    expect(frame).toMatchObject({ topic: 'room-1', clients: 1 })
    await a.next((f) => f.data === 'marker')
    expect(a.publishesOn('room-1')).toEqual([])

    b.send({ type: 'unsubscribe', topics: ['room-1', 'never-subscribed'] })
    await b.roundTrip()
    expect(await metric(port, 'rooms')).toBe(1)
  })

  it('answers ping with pong', async () => {
    const { clients } = await connected(1)
    const [a] = clients as [TestClient]
    a.send({ type: 'ping' })
    const { raw } = await a.next(() => true)
    expect(raw).toBe('{"type":"pong"}')
  })

  it('treats a publish to a topic without subscribers as a no-op', async () => {
    const { port, clients } = await connected(1)
    const [a] = clients as [TestClient]
    a.send({ type: 'publish', topic: 'nobody-here', data: { type: 'announce', from: 'x' } })
    await a.roundTrip()
    expect(a.messages.map((m) => m.frame.type)).toEqual(['pong'])
    expect(await metric(port, 'messages_relayed_total')).toBe(0)
    expect(await metric(port, 'rooms')).toBe(0)
  })

  it('removes every subscription when a connection closes', async () => {
    const { port, a, b } = await pair(['room-1', 'room-2'], ['room-2'])
    expect(await metric(port, 'rooms')).toBe(2)
    a.ws.close()
    await a.closed
    await waitUntil(async () => (await metric(port, 'rooms')) === 1, 'room-1 to disappear')
    b.send({ type: 'publish', topic: 'room-2', data: 'hi' })
    const { frame } = await b.next((f) => f.type === 'publish')
    expect(frame.clients).toBe(1)
    b.ws.close()
    await b.closed
    await waitUntil(async () => (await metric(port, 'rooms')) === 0, 'all rooms to disappear')
    expect(await metric(port, 'connections')).toBe(0)
  })

  it('subscribing twice to the same topic delivers once', async () => {
    const { clients } = await connected(1)
    const [a] = clients as [TestClient]
    await subscribe(a, 'room-1', 'room-1')
    await subscribe(a, 'room-1')
    a.send({ type: 'publish', topic: 'room-1', data: 1 })
    a.send({ type: 'publish', topic: 'room-1', data: 2 })
    await a.next((f) => f.data === 2)
    expect(a.publishesOn('room-1').map((m) => m.frame)).toEqual([
      { type: 'publish', topic: 'room-1', data: 1, clients: 1 },
      { type: 'publish', topic: 'room-1', data: 2, clients: 1 },
    ])
  })

  it('counts relayed messages and bytes', async () => {
    const { port, a, b } = await pair(['t'], ['t'])
    a.send({ type: 'publish', topic: 't', data: 'x' })
    const { raw } = await b.next((f) => f.type === 'publish')
    await a.next((f) => f.type === 'publish')
    expect(await metric(port, 'messages_relayed_total')).toBe(2)
    expect(await metric(port, 'publishes_relayed_total')).toBe(1)
    // Two pongs from subscribe() plus the publish to each of the two receivers.
    expect(await metric(port, 'bytes_out_total')).toBe(2 * '{"type":"pong"}'.length + 2 * Buffer.byteLength(raw))
  })
})
