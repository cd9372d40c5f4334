/**
 * Outgoing pacing per WebRTC connection: we never send a peer more than the
 * transport caps let it accept from us (transport-caps.ts), with a margin.
 *
 * Why: y-webrtc relays every doc update it applies to all its other
 * connections. When a flooding peer is cut off by an honest tab A, A has
 * already applied (and relays to tab B) everything the caps let through:
 * without pacing, B counts that relay against A, trips the same cap and cuts
 * off A, an honest tab: measured with a real hostile client in
 * tests/e2e/hostile.spec.ts. A sender that stays inside a smaller bucket
 * (capacity and rate both scaled by `margin`) always conforms to the
 * receiver's bigger one; the margin absorbs frames bunched up in transit or
 * behind a busy receiver's main thread: with capacity C, rate R and margin
 * m, a stall of up to (1 - m)·C / (m·R) = 5 s stays inside the caps (at 0.8,
 * 1.25 s was not enough on a loaded machine: measured in the e2e).
 *
 * Frames wait in order in a bounded queue; past the bound (a relayed flood,
 * never honest traffic) further frames are dropped and counted.
 */
import { fullBucket, takeTokens, type BucketPolicy, type BucketState } from './token-bucket'
import type { TransportCaps } from './transport-caps'

export interface PacerPolicy {
  readonly messages: BucketPolicy
  readonly bytes: BucketPolicy
  readonly maxQueuedFrames: number
  readonly maxQueuedBytes: number
}

export function pacerPolicy(caps: TransportCaps, margin = 0.5): PacerPolicy {
  const scale = (p: BucketPolicy): BucketPolicy => ({ capacity: Math.floor(p.capacity * margin), refillPerSec: p.refillPerSec * margin })
  return { messages: scale(caps.messages), bytes: scale(caps.bytes), maxQueuedFrames: caps.messages.capacity * 10, maxQueuedBytes: caps.bytes.capacity }
}

export interface PacerDeps {
  now(): number
  /** Calls `fn` after `ms`; returns a cancel function. */
  schedule(ms: number, fn: () => void): () => void
  /** Hands one frame to the data channel (may throw: the channel closed). */
  send(frame: Uint8Array): void
}

export type PushOutcome = 'sent' | 'queued' | 'dropped'

export class SendPacer {
  private messages: BucketState
  private bytes: BucketState
  private readonly queue: Uint8Array[] = []
  private queuedBytes = 0
  private cancelTimer: (() => void) | null = null
  private dropped = 0

  constructor(
    private readonly policy: PacerPolicy,
    private readonly deps: PacerDeps,
  ) {
    const now = deps.now()
    this.messages = fullBucket(policy.messages, now)
    this.bytes = fullBucket(policy.bytes, now)
  }

  push(frame: Uint8Array): PushOutcome {
    if (this.queue.length === 0 && this.trySend(frame)) return 'sent'
    if (this.queue.length >= this.policy.maxQueuedFrames || this.queuedBytes + frame.length > this.policy.maxQueuedBytes) {
      this.dropped++
      return 'dropped'
    }
    this.queue.push(frame)
    this.queuedBytes += frame.length
    this.arm()
    return 'queued'
  }

  /** Frames dropped because the queue was full, since the start. */
  droppedFrames(): number {
    return this.dropped
  }

  queued(): number {
    return this.queue.length
  }

  /** The connection closed: forget what waits. */
  clear(): void {
    this.cancelTimer?.()
    this.cancelTimer = null
    this.queue.length = 0
    this.queuedBytes = 0
  }

  private trySend(frame: Uint8Array): boolean {
    const now = this.deps.now()
    const m = takeTokens(this.messages, this.policy.messages, 0, now).state
    const b = takeTokens(this.bytes, this.policy.bytes, 0, now).state
    this.messages = m
    this.bytes = b
    if (m.tokens < 1 || b.tokens < frame.length) return false
    this.messages = takeTokens(m, this.policy.messages, 1, now).state
    this.bytes = takeTokens(b, this.policy.bytes, frame.length, now).state
    try {
      this.deps.send(frame)
    } catch {
      // The channel is closing; y-webrtc swallows send errors too, and the close clears the queue.
    }
    return true
  }

  private arm(): void {
    if (this.cancelTimer || this.queue.length === 0) return
    const head = this.queue[0]!
    const wait = (missing: number, rate: number): number => (missing > 0 ? (missing * 1000) / rate : 0)
    const ms = Math.max(wait(1 - this.messages.tokens, this.policy.messages.refillPerSec), wait(head.length - this.bytes.tokens, this.policy.bytes.refillPerSec))
    this.cancelTimer = this.deps.schedule(Math.max(1, Math.ceil(ms)), () => {
      this.cancelTimer = null
      this.flush()
    })
  }

  private flush(): void {
    while (this.queue.length > 0 && this.trySend(this.queue[0]!)) this.queuedBytes -= this.queue.shift()!.length
    this.arm()
  }
}
