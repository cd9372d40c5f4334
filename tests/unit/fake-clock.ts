/**
 * Manual Clock for tests: time moves only when the test says so, so tests wait
 * for events, never for wall time. `runUntilSettled` is the deterministic
 * version of "let the engine run until this promise is done".
 */
import type { Clock } from '../../src/clock'

interface Timer {
  readonly at: number
  readonly seq: number
  readonly fn: () => void
}

export class ManualClock implements Clock {
  private t = 0
  private seq = 0
  private timers: Timer[] = []

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn }
    this.timers.push(timer)
    return () => {
      this.timers = this.timers.filter((x) => x !== timer)
    }
  }

  get pending(): number {
    return this.timers.length
  }

  /** Fires the earliest timer (advancing time to it); false when none is pending. */
  step(): boolean {
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
    const next = this.timers.shift()
    if (!next) return false
    this.t = Math.max(this.t, next.at)
    next.fn()
    return true
  }

  /** Fires every timer due within `ms` from now, in order, then lands exactly at now+ms. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms
    for (;;) {
      await settle()
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
      if (!this.timers[0] || this.timers[0].at > end) break
      this.step()
    }
    this.t = end
    await settle()
  }

  /** Steps timers (and lets microtasks run) until `p` settles; throws if it can never settle. */
  async runUntilSettled<T>(p: Promise<T>, maxSteps = 100_000): Promise<T> {
    let done = false
    const watched = p.finally(() => {
      done = true
    })
    watched.catch(() => {})
    for (let i = 0; i < maxSteps && !done; i++) {
      await settle()
      if (done) break
      if (!this.step()) {
        await settle()
        if (!done) throw new Error('ManualClock: promise cannot settle (no timers pending)')
      }
    }
    return p
  }
}

/** Lets pending promise callbacks run (a macrotask turn drains all microtasks). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
