/**
 * The gate in front of y-webrtc, driven through the same internals it hooks
 * (Room.webrtcConns, the simple-peer emit/send of each WebrtcConn, the
 * BroadcastChannel subscriber), with y-webrtc's own message handling
 * (y-protocols readSyncMessage into a Y.Doc) behind it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as bc from 'lib0/broadcastchannel'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import { seededRandom } from '../../src/clock'
import { PeerGate, type GatedPeer, type GatedRoom } from '../../src/mesh/peer-gate'
import { DEFAULT_TRANSPORT_CAPS, type CapViolation } from '../../src/mesh/transport-caps'
import { boardTraffic, syncStep2Message, updateMessage } from './board-traffic'

/** What y-webrtc does with a message from a peer (readMessage, sync branch). */
function yWebrtcReader(doc: Y.Doc): { read: (m: Uint8Array) => void; count: () => number } {
  let n = 0
  return {
    read(m) {
      n++
      const d = decoding.createDecoder(m)
      if (decoding.readVarUint(d) === 0) syncProtocol.readSyncMessage(d, encoding.createEncoder(), doc, 'peer')
    },
    count: () => n,
  }
}

/** A FAKE simple-peer: `emit('data')` is what its data channel does on receive; `send` records frames. */
function fakeConn(remotePeerId: string, onData: (m: Uint8Array) => void): GatedPeer & { sent: Uint8Array[] } {
  const sent: Uint8Array[] = []
  return {
    remotePeerId,
    sent,
    peer: {
      emit(event: string, ...args: unknown[]) {
        if (event === 'data') onData(args[0] as Uint8Array)
        return true
      },
      send: (data: unknown) => void sent.push(data as Uint8Array),
    },
  }
}

const rooms: GatedRoom[] = []
afterEach(() => {
  for (const r of rooms.splice(0)) bc.unsubscribe(r.name, r._bcSubscriber)
})

function setup(now = () => 0) {
  const violations: { source: string; reason: CapViolation }[] = []
  const distrusted = new Set<string>()
  const gate = new PeerGate(DEFAULT_TRANSPORT_CAPS, {
    now,
    isDistrusted: (id) => distrusted.has(id),
    onViolation: (source, reason) => {
      violations.push({ source, reason })
      distrusted.add(source)
    },
  })
  const bcMessages: unknown[] = []
  const room: GatedRoom = { name: `room-${Math.random()}`, key: null, webrtcConns: new Map(), _bcSubscriber: (d) => void bcMessages.push(d) }
  bc.subscribe(room.name, room._bcSubscriber)
  gate.hookRoom(room)
  rooms.push(room)
  return { gate, room, violations, bcMessages }
}

describe('PeerGate', () => {
  it('syncs a 400-task board between two gated tabs: chunked out, reassembled in, all admitted', () => {
    const { doc } = boardTraffic(400, seededRandom(3))
    const sender = setup()
    const receiver = setup()
    const target = new Y.Doc()
    const reader = yWebrtcReader(target)
    const out = fakeConn('receiver', () => {})
    sender.room.webrtcConns.set('receiver', out) // hooked as y-webrtc creates it
    const inbound = fakeConn('sender', reader.read)
    receiver.room.webrtcConns.set('sender', inbound)
    const step2 = syncStep2Message(doc)
    expect(step2.length).toBeGreaterThan(DEFAULT_TRANSPORT_CAPS.maxMessageBytes) // one frame could not carry it
    out.peer.send(step2)
    expect(out.sent.length).toBe(Math.ceil(step2.length / (240 * 1024)))
    for (const frame of out.sent) {
      expect(frame.length).toBeLessThanOrEqual(DEFAULT_TRANSPORT_CAPS.maxMessageBytes)
      inbound.peer.emit('data', frame)
    }
    expect(receiver.violations).toEqual([])
    expect(reader.count()).toBe(1)
    expect(Y.encodeStateVector(target)).toEqual(Y.encodeStateVector(doc))
    expect(target.getMap('records').toJSON()).toEqual(doc.getMap('records').toJSON())
    expect(target.getMap('records').size).toBe(400 * 5) // task, claim, lease, partial, result per task
  })

  it('drops a crafted update claiming 2^30 structs before y-webrtc reads it, and cuts the peer off', () => {
    const { room, violations, gate } = setup()
    const target = new Y.Doc()
    const reader = yWebrtcReader(target)
    const conn = fakeConn('hostile', reader.read)
    room.webrtcConns.set('hostile', conn)
    const e = encoding.createEncoder()
    for (const x of [1, 2 ** 30, 7, 0]) encoding.writeVarUint(e, x)
    encoding.writeUint8(e, 0)
    encoding.writeVarUint(e, 1)
    conn.peer.emit('data', updateMessage(encoding.toUint8Array(e)))
    expect(violations).toEqual([{ source: 'hostile', reason: 'decode-budget' }])
    expect(reader.count()).toBe(0)
    // Cut off: even a valid message from it is ignored now, and not counted twice.
    const honest = new Y.Doc()
    honest.getMap('m').set('a', 1)
    conn.peer.emit('data', updateMessage(Y.encodeStateAsUpdate(honest)))
    expect(reader.count()).toBe(0)
    expect(gate.rejections()).toMatchObject([{ source: 'hostile', total: 1, byReason: { 'decode-budget': 1 } }])
  })

  it('refuses the same-browser peer-id message from a WebRTC peer', () => {
    const { room, violations } = setup()
    const conn = fakeConn('p', () => {})
    room.webrtcConns.set('p', conn)
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, 4)
    encoding.writeUint8(e, 1)
    encoding.writeVarString(e, 'honest-peer-id')
    conn.peer.emit('data', encoding.toUint8Array(e))
    expect(violations).toEqual([{ source: 'p', reason: 'forbidden-type' }])
  })

  it('cuts off a flooding peer at the message rate, and leaves other peers alone', () => {
    const { room, violations } = setup()
    let delivered = 0
    const flood = fakeConn('flood', () => delivered++)
    const calm = fakeConn('calm', () => delivered++)
    room.webrtcConns.set('flood', flood)
    room.webrtcConns.set('calm', calm)
    for (let i = 0; i < 5_000; i++) flood.peer.emit('data', Uint8Array.of(3))
    calm.peer.emit('data', Uint8Array.of(3))
    expect(violations).toEqual([{ source: 'flood', reason: 'message-rate' }])
    expect(delivered).toBe(DEFAULT_TRANSPORT_CAPS.messages.capacity + 1)
  })

  it('refuses out-of-order or oversized chunks', () => {
    const { room, violations } = setup()
    const conn = fakeConn('c', () => {})
    room.webrtcConns.set('c', conn)
    const sender = setup()
    const out = fakeConn('x', () => {})
    sender.room.webrtcConns.set('x', out)
    out.peer.send(updateMessage(new Uint8Array(600 * 1024)))
    conn.peer.emit('data', out.sent[1]!)
    expect(violations).toEqual([{ source: 'c', reason: 'malformed' }])
  })

  it('checks same-browser messages too, without a rate limit or distrust', async () => {
    const { room, bcMessages, violations } = setup()
    const other = new BroadcastChannel(room.name)
    const ok = Uint8Array.of(3)
    const crafted = updateMessage(Uint8Array.of(1, 0x80, 0x80, 0x80, 0x80, 0x04, 1, 0))
    other.postMessage(crafted)
    other.postMessage(ok)
    await expect.poll(() => bcMessages.length).toBe(1)
    expect(bcMessages[0]).toEqual(ok)
    expect(violations).toEqual([{ source: 'broadcastchannel', reason: 'decode-budget' }])
    other.close()
  })
})
