/** The try box's frame-rate rendering policy (src/ui/frame-text.ts), with frames stepped by hand. */
import { describe, expect, it } from 'vitest'
import { createFrameText, type FrameScheduler } from '../../src/ui/frame-text'

/** FAKE frame source: `frame()` runs what was booked, like one requestAnimationFrame turn. */
function manualFrames() {
  let booked: (() => void)[] = []
  const schedule: FrameScheduler = (fn) => {
    booked.push(fn)
    return () => {
      booked = booked.filter((f) => f !== fn)
    }
  }
  return {
    schedule,
    get booked() {
      return booked.length
    },
    frame() {
      const now = booked
      booked = []
      for (const fn of now) fn()
    },
  }
}

function setup() {
  const frames = manualFrames()
  const writes: string[] = []
  let writesThisFrame = 0
  let maxPerFrame = 0
  const text = createFrameText((t) => {
    writes.push(t)
    maxPerFrame = Math.max(maxPerFrame, ++writesThisFrame)
  }, frames.schedule)
  const frame = () => {
    frames.frame() // writes done inside the frame callback belong to the frame about to be painted
    writesThisFrame = 0
  }
  return { frames, writes, text, frame, maxPerFrame: () => maxPerFrame }
}

describe('streamed text, at most one DOM write per frame', () => {
  it('writes the first delta at once, then buffers until a frame that has not been written yet', () => {
    const { writes, text, frame } = setup()
    text.append('He')
    expect(writes).toEqual(['He'])
    text.append('ll')
    text.append('o')
    frame() // this interval already had its (leading) write
    expect(writes).toEqual(['He'])
    frame()
    expect(writes).toEqual(['He', 'llo'])
  })

  it('keeps to one write per frame under a flood, loses nothing, and ends with finish()', () => {
    const s = setup()
    let all = ''
    for (let i = 0; i < 200; i++) {
      const d = `t${i} `
      all += d
      s.text.append(d)
      if (i % 7 === 6) s.frame()
    }
    s.text.append('end')
    expect(s.maxPerFrame()).toBe(1)
    s.text.finish() // the end of a run is written at once, whatever the frame: done must never show a partial reply
    expect(s.writes.join('')).toBe(`${all}end`)
    expect(s.writes.length).toBeLessThan(200 / 3)
    expect(s.frames.booked).toBe(0)
  })

  it('goes idle after a quiet frame, so the next delta is shown at once again', () => {
    const { frames, writes, text, frame } = setup()
    text.append('a')
    frame()
    expect(frames.booked).toBe(0)
    text.append('b')
    expect(writes).toEqual(['a', 'b'])
  })

  it('finish() writes synchronously and ignores later deltas', () => {
    const { frames, writes, text } = setup()
    text.append('a')
    text.append('b')
    text.finish()
    expect(writes).toEqual(['a', 'b'])
    expect(frames.booked).toBe(0)
    text.append('late')
    text.finish()
    expect(writes).toEqual(['a', 'b'])
  })
})
