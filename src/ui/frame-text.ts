/**
 * Streamed text on screen, written to the DOM at most once per animation
 * frame. The browser paints once per frame anyway; writing every delta
 * (formerly `textContent += delta`, which also re-copies the whole string)
 * only costs main-thread time that the page and the worker compete for.
 *
 * Policy (pure, driven by a FrameScheduler so tests step frames by hand):
 * - idle → the first delta is written at once, so the first words of a
 *   reply, and a Stop press reacting to them, are not held for a frame;
 *   a frame is then booked;
 * - while a frame is booked, deltas are buffered; the booked frame writes
 *   them, unless the leading write already happened in this frame's
 *   interval: then the buffer waits for the next frame;
 * - `finish()` writes the rest synchronously and cancels the frame: the
 *   caller marks the run done right after, and done must never show a
 *   partial reply.
 * Writes are in append order and nothing appended before `finish()` is lost.
 */

/** Runs `fn` before the next paint; returns a cancel function. */
export type FrameScheduler = (fn: () => void) => () => void

export const animationFrames: FrameScheduler = (fn) => {
  const handle = requestAnimationFrame(() => fn())
  return () => cancelAnimationFrame(handle)
}

export interface FrameText {
  append(delta: string): void
  /** Writes what is buffered now; the stream is over. */
  finish(): void
}

export function createFrameText(write: (text: string) => void, frames: FrameScheduler = animationFrames): FrameText {
  let pending = ''
  let cancelFrame: (() => void) | null = null
  /** A write happened outside a frame callback since the last frame: this interval has had its write. */
  let leadingWrote = false
  let finished = false

  const writePending = (): void => {
    if (pending.length === 0) return
    const text = pending
    pending = ''
    write(text)
  }
  const onFrame = (): void => {
    cancelFrame = null
    if (leadingWrote) {
      leadingWrote = false
      if (pending.length > 0) cancelFrame = frames(onFrame)
      return
    }
    writePending()
  }

  return {
    append(delta) {
      if (finished || delta.length === 0) return
      pending += delta
      if (cancelFrame) return
      writePending()
      leadingWrote = true
      cancelFrame = frames(onFrame)
    },
    finish() {
      if (finished) return
      finished = true
      cancelFrame?.()
      cancelFrame = null
      writePending()
    },
  }
}
