/**
 * A Clock whose timers run in a dedicated worker (workers/timer.worker.ts).
 * Browsers throttle a hidden page's own timers (Chrome: at most once per
 * second, and once per minute after 5 minutes hidden), which would starve
 * lease beats; a dedicated worker's timers are not throttled that way, and
 * the message that fires the callback is not a timer task either.
 *
 * `now()` is Date.now(): wall time, so time lost while frozen shows up.
 * Without Worker support this falls back to the page's own timers.
 *
 * A timer of 0 ms (a scheduler "poke": re-evaluate now) does not go to the
 * worker: a MessageChannel task on the page is just as unthrottled, and it
 * spares two cross-thread messages and a third thread waking up, which on a
 * two-core machine competes with the inference worker mid-generation (every
 * engine state change pokes both schedulers).
 */
import { createNextTask, systemClock, type Clock, type NextTask } from './clock'
import { createLogger } from './log'
import { isTimerFired, TIMER_PROTOCOL_VERSION, type TimerRequest } from './timer-protocol'

const log = createLogger('clock')

/** The part of Worker this clock uses (tests pass a fake). */
export interface TimerPort {
  postMessage(msg: TimerRequest): void
  addEventListener(type: 'message', fn: (e: MessageEvent<unknown>) => void): void
  addEventListener(type: 'error', fn: (e: unknown) => void): void
}

export function createPortClock(port: TimerPort, now: () => number = () => Date.now(), nextTask: NextTask = createNextTask()): Clock {
  let nextId = 1
  const callbacks = new Map<number, () => void>()
  port.addEventListener('message', (e) => {
    if (!isTimerFired(e.data)) return void log.warn('dropped an invalid message from the timer worker')
    const fn = callbacks.get(e.data.id)
    callbacks.delete(e.data.id)
    fn?.()
  })
  return {
    now,
    setTimeout(fn, ms) {
      if (!(ms > 0)) {
        let live = true
        nextTask(() => {
          if (!live) return
          live = false
          fn()
        })
        return () => void (live = false)
      }
      const id = nextId++
      callbacks.set(id, fn)
      port.postMessage({ v: TIMER_PROTOCOL_VERSION, type: 'arm', id, ms })
      return () => {
        if (!callbacks.delete(id)) return
        port.postMessage({ v: TIMER_PROTOCOL_VERSION, type: 'cancel', id })
      }
    },
  }
}

/** The real one: a module worker Vite bundles from this exact expression. */
export function createWorkerClock(): Clock {
  if (typeof Worker === 'undefined') return systemClock
  try {
    const worker = new Worker(new URL('../workers/timer.worker.ts', import.meta.url), { type: 'module', name: 'mindos-timer' })
    worker.addEventListener('error', (e) => log.error(`timer worker failed: ${e.message}`))
    return createPortClock(worker as unknown as TimerPort)
  } catch (err) {
    log.warn(`no timer worker (${String(err)}); lease beats use the page's timers and slow down in background tabs`)
    return systemClock
  }
}
