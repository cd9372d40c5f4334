/**
 * Large y-webrtc messages in chunks. Chromium cannot send a data-channel
 * message over 256 KiB (SCTP max-message-size: `send` throws, and y-webrtc
 * swallows the error), so stock y-webrtc silently fails to sync any board
 * whose sync step 2 is larger: a newcomer to a room with ~100 tasks never
 * receives it. We split such messages into frames under the limit and
 * reassemble them before the transport caps and y-webrtc see the whole.
 *
 * Frame: varUint MESSAGE_CHUNK, varUint message id, varUint index,
 *        varUint frame count, varUint total bytes, varUint8Array part.
 * Tag 100 is outside y-webrtc's tags (0, 1, 3, 4); a stock y-webrtc client
 * logs "Unable to compute message" and drops it, which is what happens to
 * an oversized message today anyway. The channel is ordered and reliable
 * (simple-peer's default), so frames must arrive in order, one message at a
 * time; anything else is malformed.
 */
import * as encoding from 'lib0/encoding'
import { Reader, ScanError } from './yjs-update-scan'

export const MESSAGE_CHUNK = 100
/** Payload per frame: the header stays far below the 256 KiB frame cap. */
export const CHUNK_BYTES = 240 * 1024
/** A whole reassembled message, e.g. a big board's sync step 2 (~3.5 MB at 1,000 tasks). Equal to the byte-rate burst, so a peer holding half a message pins at most this much per connection. */
export const MAX_REASSEMBLED_BYTES = 16 * 1024 * 1024

export function isChunkFrame(frame: Uint8Array): boolean {
  return frame[0] === MESSAGE_CHUNK
}

export function splitMessage(message: Uint8Array, id: number, chunkBytes = CHUNK_BYTES): Uint8Array[] {
  const count = Math.ceil(message.length / chunkBytes)
  const frames: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, MESSAGE_CHUNK)
    encoding.writeVarUint(e, id)
    encoding.writeVarUint(e, i)
    encoding.writeVarUint(e, count)
    encoding.writeVarUint(e, message.length)
    encoding.writeVarUint8Array(e, message.subarray(i * chunkBytes, (i + 1) * chunkBytes))
    frames.push(encoding.toUint8Array(e))
  }
  return frames
}

export type ReassemblyStep =
  | { readonly status: 'partial' }
  | { readonly status: 'complete'; readonly message: Uint8Array }
  | { readonly status: 'error'; readonly reason: 'too-large' | 'malformed'; readonly detail: string }

/** Per-connection reassembly: pure state, fed frames in arrival order. */
export class Reassembler {
  private current: { id: number; count: number; total: number; parts: Uint8Array[]; bytes: number } | null = null

  constructor(
    private readonly maxBytes = MAX_REASSEMBLED_BYTES,
    private readonly chunkBytes = CHUNK_BYTES,
  ) {}

  accept(frame: Uint8Array): ReassemblyStep {
    let header: { id: number; index: number; count: number; total: number; part: Uint8Array }
    try {
      const r = new Reader(frame)
      if (r.varUint() !== MESSAGE_CHUNK) return this.fail('malformed', 'not a chunk frame')
      const id = r.varUint()
      const index = r.varUint()
      const count = r.varUint()
      const total = r.varUint()
      const len = r.blob()
      if (r.left !== 0) return this.fail('malformed', 'trailing bytes after a chunk')
      header = { id, index, count, total, part: frame.subarray(frame.length - len) }
    } catch (err) {
      if (err instanceof ScanError) return this.fail('malformed', err.message)
      throw err
    }
    const { id, index, count, total, part } = header
    if (total > this.maxBytes) return this.fail('too-large', `a ${total}-byte message (max ${this.maxBytes})`)
    if (total <= this.chunkBytes || count !== Math.ceil(total / this.chunkBytes)) return this.fail('malformed', `${count} chunks cannot carry ${total} bytes`)
    const expectedLen = index === count - 1 ? total - index * this.chunkBytes : this.chunkBytes
    if (part.length !== expectedLen) return this.fail('malformed', `chunk ${index} has ${part.length} bytes, expected ${expectedLen}`)
    if (index === 0) {
      if (this.current) return this.fail('malformed', 'a new message started before the last one ended')
      this.current = { id, count, total, parts: [], bytes: 0 }
    }
    const c = this.current
    if (!c || c.id !== id || c.count !== count || c.total !== total || c.parts.length !== index) return this.fail('malformed', 'chunk out of order')
    c.parts.push(part.slice())
    c.bytes += part.length
    if (c.parts.length < c.count) return { status: 'partial' }
    this.current = null
    const message = new Uint8Array(c.total)
    let o = 0
    for (const p of c.parts) (message.set(p, o), (o += p.length))
    return { status: 'complete', message }
  }

  private fail(reason: 'too-large' | 'malformed', detail: string): ReassemblyStep {
    this.current = null
    return { status: 'error', reason, detail }
  }
}
