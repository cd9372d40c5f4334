import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import * as awarenessProtocol from 'y-protocols/awareness'
import { seededRandom, type Random } from '../../src/clock'
import { fullBucket, takeTokens } from '../../src/mesh/token-bucket'
import { scanUpdateV1, ScanError } from '../../src/mesh/yjs-update-scan'
import { admitPeerMessage, DEFAULT_TRANSPORT_CAPS, scanPeerMessage, shouldLog, type PeerAllowance } from '../../src/mesh/transport-caps'
import { boardTraffic, syncStep2Message, updateMessage } from './board-traffic'

const SEED = Number(process.env.CAPS_SEED ?? 4242)

describe('token bucket', () => {
  const policy = { capacity: 3, refillPerSec: 2 }
  it('allows a burst, then the sustained rate', () => {
    let s = fullBucket(policy, 0)
    const take = (now: number, cost = 1) => {
      const out = takeTokens(s, policy, cost, now)
      s = out.state
      return out.ok
    }
    expect([take(0), take(0), take(0), take(0)]).toEqual([true, true, true, false])
    expect(take(499)).toBe(false)
    expect(take(500)).toBe(true) // 2/s: one token per 500 ms
    expect(take(10_000, 3)).toBe(true) // refills up to capacity, not beyond
    expect(take(10_000)).toBe(false)
    expect(take(5_000)).toBe(false) // a clock going backwards refills nothing
    expect(take(10_000, 4)).toBe(false) // a cost above capacity never passes
  })
})

/** Random honest Yjs activity covering every struct and content type the scanner walks. */
function randomDocUpdates(r: Random, ops: number): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc({ gc: r.next() < 0.5 })
  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => updates.push(u))
  const map = doc.getMap('m')
  const arr = doc.getArray<unknown>('a')
  const text = doc.getText('t')
  const xml = doc.getXmlFragment('x')
  const values = (): unknown[] => [1, -7, 2 ** 40, 0.5, 'str', true, false, null, { nested: { deep: [1, 'x'] } }, new Uint8Array([1, 2, 3]), [], {}]
  for (let i = 0; i < ops; i++) {
    const op = Math.floor(r.next() * 10)
    const v = values()[Math.floor(r.next() * 12)]
    if (op === 0) map.set(`k${Math.floor(r.next() * 5)}`, v)
    else if (op === 1) arr.insert(Math.floor(r.next() * (arr.length + 1)), [v, 'two'])
    else if (op === 2 && arr.length > 0) arr.delete(0, Math.min(arr.length, 2))
    else if (op === 3) text.insert(Math.floor(r.next() * (text.length + 1)), 'héllo ✓ 😀', r.next() < 0.3 ? { bold: true } : undefined)
    else if (op === 4 && text.length > 2) text.delete(1, Math.min(2, text.length - 1))
    else if (op === 5) text.insertEmbed(0, { image: 'x.png' })
    else if (op === 6) {
      const el = new Y.XmlElement('p')
      el.setAttribute('class', 'c')
      el.insert(0, [new Y.XmlText('t')])
      xml.insert(0, [el, new Y.XmlHook("hook") as unknown as Y.XmlText]) // typed out of the union, accepted at runtime
    } else if (op === 7) map.set('sub', new Y.Doc({ guid: `sub-${i}` }))
    else if (op === 8) map.set('nestedMap', new Y.Map([['a', 1]]))
    else if (op === 9) text.format(0, Math.min(3, text.length), { italic: true })
  }
  return { doc, updates }
}

describe('Yjs update pre-scan', () => {
  it('accepts every honest update and counts its structs as Yjs does', () => {
    const r = seededRandom(SEED)
    for (let round = 0; round < 30; round++) {
      const { doc, updates } = randomDocUpdates(r, 60)
      const whole = Y.encodeStateAsUpdate(doc)
      const skips = Y.mergeUpdates(updates.filter((_, i) => i % 3 !== 1)) // gaps: Skip structs
      for (const u of [...updates, whole, skips, Y.encodeStateAsUpdate(new Y.Doc())]) {
        const scanned = scanUpdateV1(u)
        expect(scanned.structs, `seed ${SEED} round ${round}`).toBe(Y.decodeUpdate(u).structs.length)
      }
    }
  })

  it('rejects a crafted update claiming 2^30 structs before Yjs sees it', () => {
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, 1) // one client
    encoding.writeVarUint(e, 2 ** 30) // claimed structs
    encoding.writeVarUint(e, 1) // client id
    encoding.writeVarUint(e, 0) // clock
    for (let i = 0; i < 8; i++) (encoding.writeUint8(e, 0), encoding.writeVarUint(e, 1)) // a few real GC structs
    const crafted = encoding.toUint8Array(e)
    expect(() => scanUpdateV1(crafted)).toThrow(ScanError)
    const msg = updateMessage(crafted)
    expect(scanPeerMessage(msg, false)).toMatchObject({ ok: false, reason: 'decode-budget' })
    // The other counts an update claims are bounded the same way.
    const claim = (...xs: number[]) => {
      const enc = encoding.createEncoder()
      for (const x of xs) encoding.writeVarUint(enc, x)
      return encoding.toUint8Array(enc)
    }
    expect(() => scanUpdateV1(claim(2 ** 40))).toThrow(/claims/) // clients
    expect(() => scanUpdateV1(claim(0, 1, 5, 2 ** 30))).toThrow(/claims/) // deletes
    expect(() => scanUpdateV1(claim(0, 1, 5, 1, 2 ** 33, 5))).toThrow(/beyond/) // delete range past any real clock
  })

  it('rejects malformed input with a reason and never throws anything else (mutation fuzz)', () => {
    const r = seededRandom(SEED + 1)
    const { updates } = randomDocUpdates(r, 200)
    let rejected = 0
    for (let i = 0; i < 3_000; i++) {
      const base = updates[Math.floor(r.next() * updates.length)]!
      const u = base.slice()
      const flips = 1 + Math.floor(r.next() * 3)
      for (let f = 0; f < flips; f++) u[Math.floor(r.next() * u.length)] = Math.floor(r.next() * 256)
      const cut = r.next() < 0.3 ? u.subarray(0, Math.floor(r.next() * u.length)) : u
      try {
        scanUpdateV1(cut)
      } catch (err) {
        if (!(err instanceof ScanError)) throw new Error(`CAPS_SEED=${SEED}: case ${i} threw ${String(err)}`)
        rejected++
      }
    }
    expect(rejected).toBeGreaterThan(1_000)
  })
})

describe('y-webrtc message checks', () => {
  const doc = new Y.Doc()
  doc.getMap('m').set('a', 1)
  const step1 = (() => {
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, 0)
    syncProtocol.writeSyncStep1(e, doc)
    return encoding.toUint8Array(e)
  })()
  const awareness = new awarenessProtocol.Awareness(doc)
  awareness.setLocalState({ name: 'amber-otter', hb: 1 })
  const aw = (() => {
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, 1)
    encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]))
    return encoding.toUint8Array(e)
  })()
  const bcPeer = (() => {
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, 4)
    encoding.writeUint8(e, 1)
    encoding.writeVarString(e, 'peer-id')
    return encoding.toUint8Array(e)
  })()

  it('accepts what y-webrtc sends', () => {
    for (const m of [step1, syncStep2Message(doc), updateMessage(Y.encodeStateAsUpdate(doc)), aw, Uint8Array.of(3)]) expect(scanPeerMessage(m, false)).toEqual({ ok: true })
    expect(scanPeerMessage(bcPeer, true)).toEqual({ ok: true })
  })

  it('refuses the same-browser peer-id message from a WebRTC peer, unknown tags and trailing bytes', () => {
    expect(scanPeerMessage(bcPeer, false)).toMatchObject({ ok: false, reason: 'forbidden-type' })
    expect(scanPeerMessage(Uint8Array.of(9), false)).toMatchObject({ ok: false, reason: 'malformed' })
    expect(scanPeerMessage(Uint8Array.of(0, 7, 0), false)).toMatchObject({ ok: false, reason: 'malformed' })
    expect(scanPeerMessage(Uint8Array.of(...aw, 0), false)).toMatchObject({ ok: false, reason: 'malformed' })
    expect(scanPeerMessage(new Uint8Array(0), false)).toMatchObject({ ok: false, reason: 'malformed' })
    // An awareness update claiming a billion states in a few bytes.
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, 1)
    encoding.writeVarUint8Array(e, Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x04))
    expect(scanPeerMessage(encoding.toUint8Array(e), false)).toMatchObject({ ok: false, reason: 'decode-budget' })
  })

  it('applies only what it admits: the gate sits in front of readSyncMessage', () => {
    const target = new Y.Doc()
    const apply = (m: Uint8Array) => {
      const d = decoding.createDecoder(m)
      decoding.readVarUint(d)
      syncProtocol.readSyncMessage(d, encoding.createEncoder(), target, null)
    }
    const m = updateMessage(Y.encodeStateAsUpdate(doc))
    if (scanPeerMessage(m, false).ok) apply(m)
    expect(target.getMap('m').get('a')).toBe(1)
  })
})

describe('admitPeerMessage', () => {
  const caps = { ...DEFAULT_TRANSPORT_CAPS, maxMessageBytes: 100, messages: { capacity: 2, refillPerSec: 1 }, bytes: { capacity: 150, refillPerSec: 10 } }
  const ok = Uint8Array.of(3)
  it('checks size, then message rate, then byte rate, then decode budget', () => {
    expect(admitPeerMessage(undefined, new Uint8Array(101), 0, caps).admission).toMatchObject({ ok: false, reason: 'too-large' })
    let a: PeerAllowance | undefined
    const send = (m: Uint8Array, now: number) => {
      const out = admitPeerMessage(a, m, now, caps)
      a = out.allowance
      return out.admission
    }
    expect(send(ok, 0)).toEqual({ ok: true })
    expect(send(ok, 0)).toEqual({ ok: true })
    expect(send(ok, 0)).toMatchObject({ ok: false, reason: 'message-rate' })
    a = undefined
    const big = updateMessage(new Uint8Array(90))
    expect(send(big, 0).ok).toBe(false) // 90 zero bytes are no update, but it was admitted past the rate checks
    expect(send(big, 1_000)).toMatchObject({ ok: false, reason: 'byte-rate' })
  })
  it('logs a repeated reason once per window', () => {
    const seen = new Map<string, number>()
    expect([shouldLog(seen, 'p', 0), shouldLog(seen, 'p', 5_000), shouldLog(seen, 'q', 5_000), shouldLog(seen, 'p', 10_000)]).toEqual([true, false, true, true])
  })
})

describe('honest traffic stays under the default caps', () => {
  it('a 1,000-task board written at twice a busy swarm\'s pace is never refused', () => {
    const { doc, messages } = boardTraffic(1_000, seededRandom(SEED))
    let a: PeerAllowance | undefined
    let refused = 0
    let largest = 0
    messages.forEach((m, i) => {
      largest = Math.max(largest, m.length)
      const out = admitPeerMessage(a, m, i * 10, DEFAULT_TRANSPORT_CAPS) // 100 messages/s
      a = out.allowance
      if (!out.admission.ok) refused++
    })
    expect(refused).toBe(0)
    expect(largest).toBeLessThan(DEFAULT_TRANSPORT_CAPS.maxMessageBytes)
    // The whole board as one sync step 2 also passes the decode budget (its size is the
    // SCTP limit's business: see README "Trust foundations").
    expect(scanPeerMessage(syncStep2Message(doc), false)).toEqual({ ok: true })
  })
})
