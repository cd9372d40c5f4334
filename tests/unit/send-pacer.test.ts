import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../src/clock'
import { pacerPolicy, SendPacer } from '../../src/mesh/send-pacer'
import { chargePeer, DEFAULT_TRANSPORT_CAPS, type PeerAllowance } from '../../src/mesh/transport-caps'

const SEED = Number(process.env.PACER_SEED ?? 77)

/** A fake clock and timer queue (tests only): time moves when the test says so. */
function fakeTime() {
  let now = 0
  const timers: { at: number; fn: () => void; live: boolean }[] = []
  return {
    now: () => now,
    schedule(ms: number, fn: () => void) {
      const t = { at: now + ms, fn, live: true }
      timers.push(t)
      return () => void (t.live = false)
    },
    /** Runs every timer due up to `until`, in order. */
    advance(until: number) {
      for (;;) {
        const due = timers.filter((t) => t.live && t.at <= until).sort((a, b) => a.at - b.at)[0]
        if (!due) break
        due.live = false
        now = due.at
        due.fn()
      }
      now = until
    },
  }
}

const frame = (n: number, tag = 0): Uint8Array => new Uint8Array(n).fill(tag)

describe('send pacer', () => {
  const policy = { messages: { capacity: 3, refillPerSec: 2 }, bytes: { capacity: 1_000, refillPerSec: 1_000 }, maxQueuedFrames: 5, maxQueuedBytes: 10_000 }

  it('sends a burst at once, then queues in order at the sustained rate', () => {
    const time = fakeTime()
    const sent: number[] = []
    const pacer = new SendPacer(policy, { ...time, send: (f) => sent.push(f[0]!) })
    const outcomes = [1, 2, 3, 4, 5].map((i) => pacer.push(frame(10, i)))
    expect(outcomes).toEqual(['sent', 'sent', 'sent', 'queued', 'queued'])
    time.advance(499)
    expect(sent).toEqual([1, 2, 3])
    time.advance(500)
    expect(sent).toEqual([1, 2, 3, 4])
    time.advance(1_000)
    expect(sent).toEqual([1, 2, 3, 4, 5])
    expect(pacer.queued()).toBe(0)
  })

  it('paces bytes too, and a frame waits behind the queue even when it would fit', () => {
    const time = fakeTime()
    const sent: number[] = []
    const pacer = new SendPacer(policy, { ...time, send: (f) => sent.push(f.length) })
    expect(pacer.push(frame(900))).toBe('sent')
    expect(pacer.push(frame(600))).toBe('queued')
    expect(pacer.push(frame(1))).toBe('queued')
    time.advance(499)
    expect(sent).toEqual([900])
    time.advance(500)
    expect(sent).toEqual([900, 600])
    time.advance(501)
    expect(sent).toEqual([900, 600, 1])
  })

  it('drops past its bound, counts it, and a close clears the queue', () => {
    const time = fakeTime()
    const sent: Uint8Array[] = []
    const pacer = new SendPacer(policy, { ...time, send: (f) => sent.push(f) })
    const outcomes = Array.from({ length: 10 }, () => pacer.push(frame(1)))
    expect(outcomes.filter((o) => o === 'dropped')).toHaveLength(2)
    expect(pacer.droppedFrames()).toBe(2)
    pacer.clear()
    time.advance(60_000)
    expect(sent).toHaveLength(3)
  })

  it('survives a send that throws (a closing channel)', () => {
    const time = fakeTime()
    const pacer = new SendPacer(policy, { ...time, send: () => { throw new Error('closed') } })
    expect(pacer.push(frame(1))).toBe('sent')
  })

  /** A flooder sends frames of up to 2 KB (some up to 200 KB) in bursts; A admits what its caps allow and relays it to B, with A's own small messages in between. */
  function relayFlood(paced: boolean): { admittedByA: number; refusedByB: string[] } {
    const random = seededRandom(SEED)
    const rnd = (): number => random.next()
    const caps = DEFAULT_TRANSPORT_CAPS
    const time = fakeTime()
    let atA: PeerAllowance | undefined
    let atB: PeerAllowance | undefined
    let admittedByA = 0
    const refusedByB: string[] = []
    const toB = (f: Uint8Array): void => {
      const out = chargePeer(atB, f, time.now(), caps)
      atB = out.allowance
      if (!out.admission.ok) refusedByB.push(out.admission.reason)
    }
    const relay = new SendPacer(pacerPolicy(caps), { ...time, send: toB })
    const send = (f: Uint8Array): unknown => (paced ? relay.push(f) : toB(f))
    for (let i = 0; i < 20_000; i++) {
      time.advance(time.now() + (rnd() < 0.9 ? 0 : Math.floor(rnd() * 50)))
      const f = frame(Math.floor(rnd() * (rnd() < 0.02 ? 200_000 : 2_000)))
      const out = chargePeer(atA, f, time.now(), caps)
      atA = out.allowance
      if (!out.admission.ok) break
      admittedByA++
      send(f)
      if (rnd() < 0.05) send(frame(300)) // A's own heartbeat or partial output
    }
    time.advance(time.now() + 600_000)
    return { admittedByA, refusedByB }
  }

  it('a relay of everything a receiver admitted from a flooder never trips the next receiver (the e2e partition)', () => {
    const paced = relayFlood(true)
    expect(paced.admittedByA, `seed ${SEED}`).toBeGreaterThan(50)
    expect(paced.refusedByB, `seed ${SEED}`).toEqual([])
    // Control: the same relay unpaced gets the honest relay cut off.
    expect(relayFlood(false).refusedByB.length, `seed ${SEED}`).toBeGreaterThan(0)
  })
})
