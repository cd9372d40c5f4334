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
  cancelled: boolean
}

const earlier = (a: Timer, b: Timer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/**
 * A binary min-heap of timers by (due time, creation order): simulations keep
 * thousands of pending deliveries, and sorting them on every step dominated
 * their run time. Cancelled timers stay in the heap, skipped when they surface.
 */
class TimerHeap {
  private readonly items: Timer[] = []
  live = 0

  push(t: Timer): void {
    const xs = this.items
    xs.push(t)
    this.live++
    let i = xs.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!earlier(xs[i]!, xs[parent]!)) break
      ;[xs[i], xs[parent]] = [xs[parent]!, xs[i]!]
      i = parent
    }
  }

  /** The earliest live timer, without removing it. */
  peek(): Timer | undefined {
    while (this.items[0]?.cancelled) this.removeTop()
    return this.items[0]
  }

  pop(): Timer | undefined {
    const top = this.peek()
    if (top) {
      this.removeTop()
      this.live--
    }
    return top
  }

  private removeTop(): void {
    const xs = this.items
    const last = xs.pop()!
    if (xs.length === 0) return
    xs[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < xs.length && earlier(xs[l]!, xs[m]!)) m = l
      if (r < xs.length && earlier(xs[r]!, xs[m]!)) m = r
      if (m === i) return
      ;[xs[i], xs[m]] = [xs[m]!, xs[i]!]
      i = m
    }
  }
}

export class ManualClock implements Clock {
  private t = 0
  private seq = 0
  private readonly timers = new TimerHeap()

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false }
    this.timers.push(timer)
    return () => {
      if (timer.cancelled) return
      timer.cancelled = true
      this.timers.live--
    }
  }

  get pending(): number {
    return this.timers.live
  }

  /** Fires the earliest timer (advancing time to it); false when none is pending. */
  step(): boolean {
    const next = this.timers.pop()
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
      const next = this.timers.peek()
      if (!next || next.at > end) break
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
