/**
 * Time and randomness are side effects: the scheduler and simulations take
 * these interfaces so tests can drive them deterministically.
 */
export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): () => void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms)
    return () => clearTimeout(handle)
  },
}

export interface Random {
  /** Uniform float in [0, 1). */
  next(): number
}

export const systemRandom: Random = { next: () => Math.random() }

/** mulberry32: tiny, fast, good enough for simulations and the simulated engine. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0
      let t = a
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    },
  }
}

/** Runs `fn` in a later task of this event loop, after the current task and its microtasks. */
export type NextTask = (fn: () => void) => void

/**
 * A task boundary without a delay. setTimeout(0) is clamped to 4 ms when
 * nested and throttled to seconds (or a minute) in a background tab, which a
 * donor tab usually is; MessageChannel tasks are not. In Node the port is
 * unref'd so a pending notification never keeps a process alive.
 */
export function createNextTask(): NextTask {
  if (typeof MessageChannel === 'undefined') return (fn) => void setTimeout(fn, 0)
  const channel = new MessageChannel()
  const queue: (() => void)[] = []
  channel.port1.onmessage = () => queue.shift()?.()
  ;(channel.port1 as unknown as { unref?: () => void }).unref?.()
  return (fn) => {
    queue.push(fn)
    channel.port2.postMessage(null)
  }
}
