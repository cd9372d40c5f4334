import { describe, expect, it } from 'vitest'
import { createPortClock, type TimerPort } from '../../src/worker-clock'
import { isTimerFired, isTimerRequest, type TimerRequest } from '../../src/timer-protocol'

/** FAKE timer worker: arms nothing itself; the test fires timers by id. */
function fakePort() {
  const sent: TimerRequest[] = []
  let onMessage: ((e: MessageEvent<unknown>) => void) | null = null
  const port: TimerPort = {
    postMessage: (m) => void sent.push(m),
    addEventListener: (type: string, fn: (e: never) => void) => {
      if (type === 'message') onMessage = fn as never
    },
  }
  const deliver = (data: unknown): void => onMessage?.({ data } as MessageEvent<unknown>)
  return { port, sent, deliver }
}

describe('timer protocol', () => {
  it('accepts well-formed requests and rejects everything else', () => {
    expect(isTimerRequest({ v: 1, type: 'arm', id: 3, ms: 1000 })).toBe(true)
    expect(isTimerRequest({ v: 1, type: 'cancel', id: 3 })).toBe(true)
    for (const bad of [null, 1, {}, { v: 2, type: 'arm', id: 1, ms: 1 }, { v: 1, type: 'arm', id: -1, ms: 1 }, { v: 1, type: 'arm', id: 1, ms: Infinity }, { v: 1, type: 'arm', id: 1.5, ms: 1 }, { v: 1, type: 'arm', id: 1, ms: -5 }, { v: 1, type: 'boom', id: 1 }])
      expect(isTimerRequest(bad)).toBe(false)
    expect(isTimerFired({ v: 1, type: 'fired', id: 2 })).toBe(true)
    expect(isTimerFired({ v: 1, type: 'fired', id: '2' })).toBe(false)
  })
})

describe('worker-backed clock', () => {
  it('arms a worker timer per setTimeout and runs the callback when the worker says it fired', () => {
    const { port, sent, deliver } = fakePort()
    const clock = createPortClock(port, () => 42)
    const fired: string[] = []
    clock.setTimeout(() => fired.push('a'), 1000)
    clock.setTimeout(() => fired.push('b'), 1)
    expect(sent).toEqual([
      { v: 1, type: 'arm', id: 1, ms: 1000 },
      { v: 1, type: 'arm', id: 2, ms: 1 },
    ])
    deliver({ v: 1, type: 'fired', id: 2 })
    deliver({ v: 1, type: 'fired', id: 1 })
    deliver({ v: 1, type: 'fired', id: 1 }) // a duplicate runs nothing twice
    expect(fired).toEqual(['b', 'a'])
    expect(clock.now()).toBe(42)
  })

  it('cancel tells the worker once and a late "fired" for a cancelled timer runs nothing', () => {
    const { port, sent, deliver } = fakePort()
    const clock = createPortClock(port)
    let ran = false
    const cancel = clock.setTimeout(() => (ran = true), 500)
    cancel()
    cancel()
    expect(sent.filter((m) => m.type === 'cancel')).toEqual([{ v: 1, type: 'cancel', id: 1 }])
    deliver({ v: 1, type: 'fired', id: 1 })
    expect(ran).toBe(false)
  })

  it('runs a 0 ms (or negative) timer as a task on the page, without the worker, once, and cancel stops it', () => {
    const { port, sent, deliver } = fakePort()
    const tasks: (() => void)[] = [] // FAKE task queue: the test runs the tasks
    const clock = createPortClock(port, () => 0, (fn) => void tasks.push(fn))
    const fired: string[] = []
    clock.setTimeout(() => fired.push('zero'), 0)
    clock.setTimeout(() => fired.push('negative'), -5)
    clock.setTimeout(() => fired.push('nan'), Number.NaN)
    const cancel = clock.setTimeout(() => fired.push('cancelled'), 0)
    expect(sent).toEqual([])
    expect(fired).toEqual([]) // never synchronously: callers rely on a task boundary
    cancel()
    cancel()
    for (const t of tasks) t()
    for (const t of tasks) t() // a task that ran once runs nothing twice
    expect(fired).toEqual(['zero', 'negative', 'nan'])
    expect(sent).toEqual([]) // cancelling a page task tells the worker nothing
    deliver({ v: 1, type: 'fired', id: 1 })
    expect(fired).toHaveLength(3)
  })

  it('runs a 0 ms timer through the real MessageChannel task queue', async () => {
    const { port } = fakePort()
    const clock = createPortClock(port)
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 0))
  })

  it('drops invalid messages from the worker', () => {
    const { port, deliver } = fakePort()
    const clock = createPortClock(port)
    let ran = false
    clock.setTimeout(() => (ran = true), 1)
    deliver({ type: 'fired', id: 1 })
    deliver('fired')
    expect(ran).toBe(false)
  })
})
