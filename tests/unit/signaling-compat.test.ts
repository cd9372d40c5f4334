/**
 * Drop-in compatibility with y-webrtc's stock bin/server.js. A real
 * SignalingConn needs WebRTC, so instead we replay the exact frames it sends
 * (subscribe with every room, announce, password-encrypted base64 payloads,
 * SDP signals) against both servers and require byte-identical output.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SIGNALING_LIMITS } from '../../signaling-server/limits'
import { TestClient, cleanup, startStockServer, startTestServer } from './signaling-harness'

afterEach(cleanup)

/** y-webrtc's crypto.js deriveKey: PBKDF2(password, salt = room name) → AES-GCM-256. */
async function deriveKey(secret: string, roomName: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'PBKDF2', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', salt: new TextEncoder().encode(roomName), iterations: 100000, hash: 'SHA-256' },
    material,
    { name: 'AES-GCM', length: 256 },
    true,
    ['encrypt', 'decrypt'],
  )
}

/** y-webrtc's encryptJson + buffer.toBase64: the `data` string of a password-protected publish. */
async function encryptJson(data: unknown, key: CryptoKey): Promise<string> {
  const plain = encoding.createEncoder()
  encoding.writeAny(plain, data as never)
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const cipher = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, encoding.toUint8Array(plain))
  const out = encoding.createEncoder()
  encoding.writeVarString(out, 'AES-GCM')
  encoding.writeVarUint8Array(out, iv)
  encoding.writeVarUint8Array(out, new Uint8Array(cipher))
  return Buffer.from(encoding.toUint8Array(out)).toString('base64')
}

async function decryptJson(base64: string, key: CryptoKey): Promise<unknown> {
  const decoder = decoding.createDecoder(new Uint8Array(Buffer.from(base64, 'base64')))
  expect(decoding.readVarString(decoder)).toBe('AES-GCM')
  const iv = decoding.readVarUint8Array(decoder)
  const cipher = decoding.readVarUint8Array(decoder)
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, cipher)
  return decoding.readAny(decoding.createDecoder(new Uint8Array(plain)))
}

/** A non-trickle SDP offer carrying many ICE candidates: the biggest signal y-webrtc sends. */
function bigOffer(candidates: number): { type: 'offer'; sdp: string } {
  const lines = ['v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0']
  lines.push('m=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0', 'a=ice-ufrag:Xk9z', 'a=ice-pwd:0123456789abcdefghijklmn')
  lines.push(`a=fingerprint:sha-256 ${Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, '0').toUpperCase()).join(':')}`)
  for (let i = 0; i < candidates; i++) {
    lines.push(`a=candidate:${1000 + i} 1 udp ${2122260223 - i} 192.168.${i % 255}.${(i * 3) % 255} ${50000 + i} typ srflx raddr 10.0.0.${i % 255} rport ${40000 + i} generation 0 network-id ${i} network-cost 10`)
  }
  lines.push('a=setup:actpass', 'a=mid:0', 'a=sctp-port:5000', 'a=max-message-size:262144')
  return { type: 'offer', sdp: lines.join('\r\n') + '\r\n' }
}

type Step = { readonly from: 'a' | 'b'; readonly raw: string }

/** Plays `steps` against a server; after each, both clients round-trip so delivery order is fixed. */
async function replay(url: string, steps: readonly Step[]): Promise<{ a: string[]; b: string[] }> {
  const clients = { a: await TestClient.open(url), b: await TestClient.open(url) }
  for (const step of steps) {
    clients[step.from].sendRaw(step.raw)
    await clients.a.roundTrip()
    await clients.b.roundTrip()
  }
  return { a: clients.a.messages.map((m) => m.raw), b: clients.b.messages.map((m) => m.raw) }
}

let key: CryptoKey
let steps: Step[]

beforeAll(async () => {
  key = await deriveKey('correct horse battery staple', 'secret-room')
  const json = (frame: unknown): string => JSON.stringify(frame)
  steps = [
    { from: 'a', raw: json({ type: 'subscribe', topics: ['open-room', 'secret-room'] }) },
    { from: 'b', raw: json({ type: 'subscribe', topics: ['open-room'] }) },
    { from: 'a', raw: json({ type: 'publish', topic: 'open-room', data: { type: 'announce', from: 'peer-a' } }) },
    { from: 'b', raw: json({ type: 'subscribe', topics: ['secret-room'] }) },
    { from: 'b', raw: json({ type: 'publish', topic: 'secret-room', data: await encryptJson({ type: 'announce', from: 'peer-b' }, key) }) },
    {
      from: 'b',
      raw: json({ type: 'publish', topic: 'open-room', data: { to: 'peer-a', from: 'peer-b', type: 'signal', token: 1732230000000.4521, signal: bigOffer(40) } }),
    },
    { from: 'a', raw: '{"clients":99,"type":"publish","topic":"open-room","data":{"ü":"\\u2028 ☃"},"extra":[1,null]}' },
    { from: 'a', raw: json({ type: 'unsubscribe', topics: ['open-room'] }) },
    { from: 'b', raw: json({ type: 'publish', topic: 'open-room', data: { type: 'announce', from: 'peer-b' } }) },
    { from: 'a', raw: json({ type: 'publish', topic: 'nobody', data: null }) },
    { from: 'b', raw: json({ type: 'not-a-type' }) },
  ]
})

describe('compatibility with the stock y-webrtc signaling server', () => {
  it('relays the frames y-webrtc sends byte for byte as stock does', async () => {
    const stock = await startStockServer()
    const ours = await startTestServer()
    const expected = await replay(stock.url, steps)
    const actual = await replay(ours.signalingUrl, steps)
    expect(actual).toEqual(expected)
    // Guard against a vacuous match: the replay really relayed things.
    expect(actual.b.filter((raw) => raw.includes('"type":"publish"'))).toHaveLength(5)
    expect(actual.a).toContain(`{"type":"publish","topic":"open-room","data":{"type":"announce","from":"peer-a"},"clients":2}`)
  })

  it('passes encrypted payloads through untouched so room members can decrypt them', async () => {
    const server = await startTestServer()
    const { a } = await replay(server.signalingUrl, steps)
    const relayed = a.map((raw) => JSON.parse(raw) as { topic?: string; data?: unknown; clients?: number })
    const secret = relayed.find((m) => m.topic === 'secret-room')
    expect(secret?.clients).toBe(2)
    expect(await decryptJson(String(secret?.data), key)).toEqual({ type: 'announce', from: 'peer-b' })
  })

  it('fits the largest realistic signal, encrypted, well inside the default frame limit', async () => {
    const frame = JSON.stringify({
      type: 'publish',
      topic: 'secret-room',
      data: await encryptJson({ to: 'peer-a', from: 'peer-b', type: 'signal', token: 1.5, signal: bigOffer(40) }, key),
    })
    expect(frame.length).toBeLessThan(DEFAULT_SIGNALING_LIMITS.maxFrameBytes / 4)
    const server = await startTestServer()
    const client = await TestClient.open(server.signalingUrl)
    client.send({ type: 'subscribe', topics: ['secret-room'] })
    client.sendRaw(frame)
    const { frame: relayed } = await client.next((f) => f.type === 'publish')
    expect(relayed.data).toBe((JSON.parse(frame) as { data: string }).data)
  })
})
