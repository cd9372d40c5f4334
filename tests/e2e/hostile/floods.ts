/**
 * The hostile client's transport floods (stock yjs + y-webrtc, no code of
 * ours), aimed at the caps in front of y-webrtc (README: frames up to
 * 256 KiB, message and byte rates per peer). Driven by client.ts.
 */
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'

export interface ConnLike {
  connected: boolean
  peer: { _channel?: { bufferedAmount: number }; send: (data: Uint8Array) => void }
}

export interface FloodTarget {
  /** The map the junk goes into (the tests read its size in honest docs). */
  readonly map: Y.Map<unknown>
  /** y-webrtc's open connections. */
  conns(): ConnLike[]
  /** Resolves once every channel has drained below `bytes`. */
  drained(bytes: number): Promise<void>
  /** Reports bytes or updates written so far. */
  progress(n: number): void
}

/** The chunk frame of the wire contract (README: tag 100, src/mesh/chunking.ts), written from its description. */
function chunkFrames(message: Uint8Array, chunkBytes = 240 * 1024): Uint8Array[] {
  const count = Math.ceil(message.length / chunkBytes)
  return Array.from({ length: count }, (_, i) => {
    const e = encoding.createEncoder()
    for (const n of [100, 1, i, count, message.length]) encoding.writeVarUint(e, n)
    encoding.writeVarUint8Array(e, message.subarray(i * chunkBytes, (i + 1) * chunkBytes))
    return encoding.toUint8Array(e)
  })
}

/** Writes `totalBytes` of junk in separate updates of `pieceBytes` (each under the 256 KiB frame limit, so they really leave). */
export async function bytesFlood(t: FloodTarget, totalBytes: number, pieceBytes: number): Promise<number> {
  let written = 0
  for (let i = 0; written < totalBytes; i++) {
    const len = Math.min(pieceBytes, totalBytes - written)
    t.map.set(`j${Date.now()}-${i}`, String.fromCharCode(97 + (i % 26)).repeat(len))
    written += len
    t.progress(written)
    await t.drained(2 * 1024 * 1024)
  }
  return written
}

/**
 * One update carrying `bytes` of junk, sent to every peer as a single
 * y-webrtc sync message in chunk frames (stock y-webrtc alone cannot send
 * it: Chromium refuses data-channel messages over 256 KiB). Returns to how many peers it went.
 */
export function oversizedUpdate(t: FloodTarget, bytes: number): number {
  const doc = t.map.doc!
  let update: Uint8Array | null = null
  const grab = (u: Uint8Array): void => void (update = u)
  doc.on('update', grab)
  t.map.set(`big${Date.now()}`, 'z'.repeat(bytes))
  doc.off('update', grab)
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0) // y-webrtc messageSync
  encoding.writeVarUint(e, 2) // y-protocols sync update
  encoding.writeVarUint8Array(e, update!)
  const frames = chunkFrames(encoding.toUint8Array(e))
  let sent = 0
  for (const c of t.conns().filter((c) => c.connected)) {
    try {
      for (const f of frames) c.peer.send(f)
      sent++
    } catch {
      // The channel's buffer is full (Chromium: 16 MB): the first frames are on their way, which is all the attack needs.
      sent++
    }
  }
  return sent
}

/** `n` tiny updates as fast as the channels take them: a message-rate flood. */
export async function updateFlood(t: FloodTarget, n: number): Promise<number> {
  for (let i = 0; i < n; i++) {
    t.map.set(`f${i % 64}`, i)
    t.progress(i + 1)
    if (i % 200 === 199) await t.drained(256 * 1024)
  }
  return n
}
