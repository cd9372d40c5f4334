import { describe, expect, it } from 'vitest'
import { BusyMeter, ExecutionSlot } from '../../src/scheduler/execution-slot'

describe('BusyMeter', () => {
  it('reports the busy share of the last window, including a run still going', () => {
    let t = 0
    const meter = new BusyMeter(() => t, 1_000)
    expect(meter.load()).toBe(0)
    meter.set(true)
    t = 250
    expect(meter.load()).toBe(0.25)
    meter.set(false)
    t = 500
    expect(meter.load()).toBe(0.25)
    meter.set(true)
    t = 1_000
    expect(meter.load()).toBe(0.75)
  })
  it('forgets work older than the window and caps at 1', () => {
    let t = 0
    const meter = new BusyMeter(() => t, 1_000)
    meter.set(true)
    t = 5_000
    expect(meter.load()).toBe(1)
    meter.set(false)
    t = 5_500
    expect(meter.load()).toBe(0.5)
    t = 7_000
    expect(meter.load()).toBe(0)
  })
})

describe('ExecutionSlot', () => {
  it('lets one run in at a time and tells listeners', () => {
    const slot = new ExecutionSlot()
    const seen: boolean[] = []
    slot.onChange((busy) => seen.push(busy))
    expect(slot.take('a')).toBe(true)
    expect(slot.take('b')).toBe(false)
    slot.release()
    slot.release()
    expect(slot.isFree()).toBe(true)
    expect(seen).toEqual([true, false])
  })
})
