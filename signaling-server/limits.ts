/**
 * Limits that keep one misbehaving client from hurting anyone else, and the
 * pure logic that enforces them (token bucket, per-IP counter). Time comes in
 * through an injected `now()` so tests never wait on a real clock.
 *
 * The defaults are sized from what y-webrtc really sends:
 * - Frames: an SDP offer/answer for a data-channel-only peer is 0.5–2 KB, and
 *   even a non-trickle offer carrying every ICE candidate stays under ~8 KB.
 *   With a room password the JSON is lib0-encoded, AES-GCM encrypted and
 *   base64'd (about ×1.4). 64 KiB leaves ~8× headroom.
 * - Rate: joining a full room (y-webrtc's maxConns is 20–34) makes every
 *   existing peer offer to the newcomer, who answers each with an answer plus
 *   ~3–6 trickled ICE candidates: ~250 frames in a second or two. Steady state
 *   is a ping every 15 s and the odd re-announce, so 50/s sustained with a
 *   burst of 300 never touches honest clients but caps a flood's fan-out.
 */
import { ConfigError } from '../src/errors'
import { FrameRejectReason } from './protocol'

export interface SignalingLimits {
  /** Largest text frame accepted; larger ones close the connection with 1009. */
  readonly maxFrameBytes: number
  /** Rooms one connection may be subscribed to at once; extra topics are dropped. */
  readonly maxTopicsPerConnection: number
  /** Longest topic (room) name, in UTF-16 code units; longer ones are dropped. */
  readonly maxTopicNameLength: number
  /** Token-bucket refill rate for frames from one connection. */
  readonly messagesPerSecond: number
  /** Token-bucket capacity: how many frames may arrive back to back. */
  readonly messageBurst: number
  /**
   * Frames a connection may have dropped for rate limiting before it is closed
   * (1008). The budget refills at one per second, so only sustained abuse ends
   * the connection; a brief overshoot just loses a few frames.
   */
  readonly rateViolationsBeforeClose: number
  /** Concurrent WebSocket connections per remote address; more get HTTP 429. */
  readonly maxConnectionsPerIp: number
  /**
   * Bytes queued for one receiver that it has not read yet. A client that
   * subscribes to a busy room and stops reading would otherwise make the server
   * buffer without bound; past this it is terminated.
   */
  readonly maxBufferedBytes: number
  /** WebSocket ping period; a connection that has not ponged by the next one is terminated. */
  readonly keepaliveIntervalMs: number
}

export const DEFAULT_SIGNALING_LIMITS: SignalingLimits = {
  maxFrameBytes: 64 * 1024,
  maxTopicsPerConnection: 32,
  maxTopicNameLength: 256,
  messagesPerSecond: 50,
  messageBurst: 300,
  rateViolationsBeforeClose: 100,
  maxConnectionsPerIp: 64,
  maxBufferedBytes: 8 * 1024 * 1024,
  keepaliveIntervalMs: 30_000,
}

/**
 * ws enforces this itself (closing with 1009) before our own check sees the
 * frame, so a giant frame is never buffered whole. It sits slightly above
 * `maxFrameBytes` so the normal path is our check, which logs and counts it.
 */
export function hardPayloadCap(limits: SignalingLimits): number {
  return limits.maxFrameBytes + 1024
}

/**
 * Violations that only cost the offending frame (or topic). The connection
 * stays up: one bad frame from a buggy client should not tear down its mesh.
 * Values double as the `reason` label of the dropped-frames metric.
 */
export const DropReason = {
  ...FrameRejectReason,
  BINARY: 'binary',
  RATE_LIMITED: 'rate_limited',
  EMPTY_TOPIC: 'empty_topic',
  TOPIC_TOO_LONG: 'topic_too_long',
  TOO_MANY_TOPICS: 'too_many_topics',
} as const
export type DropReason = (typeof DropReason)[keyof typeof DropReason]

/**
 * Violations that end the connection, with the WebSocket close code and reason
 * the client sees (RFC 6455 §7.4.1). Keys are the `reason` label of the
 * closed-connections metric. Keepalive failures and slow consumers are
 * `terminate`d instead: a peer that stopped reading will not read a close frame.
 */
export const CloseReason = {
  frame_too_big: { code: 1009, reason: 'frame too big' },
  rate_limit: { code: 1008, reason: 'rate limit exceeded' },
} as const
export type CloseReason = keyof typeof CloseReason

/** Merges overrides onto the defaults; throws ConfigError for non-positive or non-integer values. */
export function resolveLimits(overrides: Partial<SignalingLimits> = {}): SignalingLimits {
  const limits: SignalingLimits = { ...DEFAULT_SIGNALING_LIMITS, ...overrides }
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ConfigError(`Signaling limit ${name} must be a positive number, got ${String(value)}`)
    }
  }
  return limits
}

/**
 * Classic token bucket: starts full, refills continuously. One per connection
 * for frames, one per connection for rate violations, one global for logs.
 */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity
    this.last = now()
  }

  /** Takes one token if available. */
  tryTake(): boolean {
    const t = this.now()
    // A clock that goes backwards (fake clocks, NTP steps) must not drain the bucket.
    const elapsedMs = Math.max(0, t - this.last)
    this.last = t
    this.tokens = Math.min(this.capacity, this.tokens + (elapsedMs / 1000) * this.refillPerSecond)
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}

/** Concurrent connections per remote address, checked at upgrade time by server.ts. */
export class PerIpCounter {
  private readonly counts = new Map<string, number>()

  constructor(private readonly maxPerIp: number) {}

  /** Reserves a slot for `ip`; false if it already holds `maxPerIp`. Pair with `release`. */
  tryAcquire(ip: string): boolean {
    const current = this.counts.get(ip) ?? 0
    if (current >= this.maxPerIp) return false
    this.counts.set(ip, current + 1)
    return true
  }

  release(ip: string): void {
    const current = this.counts.get(ip) ?? 0
    if (current <= 1) this.counts.delete(ip)
    else this.counts.set(ip, current - 1)
  }

  count(ip: string): number {
    return this.counts.get(ip) ?? 0
  }
}
