/**
 * What a y-webrtc client receives from the signaling server is relayed,
 * unauthenticated peer data. Stock y-webrtc trusts it (a `signal` without a
 * body, or an `answer` for a connection it never opened, throws inside its
 * socket handler). These pure checks run before y-webrtc sees a frame.
 *
 * Also here: the policy that keeps peers which announce themselves and never
 * connect from occupying connection slots meant for honest tabs.
 */
import type { ParseResult } from './protocol'

export type SignalPayload =
  | { readonly type: 'announce'; readonly from: string }
  | { readonly type: 'signal'; readonly from: string; readonly to: string; readonly token?: number; readonly signal: { readonly type?: string } }

const MAX_PEER_ID = 128
/** Encrypted payloads (rooms with a key) are base64 strings; SDP with many candidates stays far below this. */
const MAX_ENCRYPTED_PAYLOAD = 48 * 1024

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isPeerId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_PEER_ID

export function parseSignalPayload(data: unknown): ParseResult<SignalPayload> {
  if (!isRecord(data)) return { ok: false, reason: 'payload is not an object' }
  if (!isPeerId(data.from)) return { ok: false, reason: 'payload has no valid "from"' }
  if (data.type === 'announce') return { ok: true, value: { type: 'announce', from: data.from } }
  if (data.type !== 'signal') return { ok: false, reason: `unknown payload type ${JSON.stringify(data.type)?.slice(0, 40)}` }
  if (!isPeerId(data.to)) return { ok: false, reason: 'signal has no valid "to"' }
  if (data.token !== undefined && typeof data.token !== 'number') return { ok: false, reason: 'signal token is not a number' }
  if (!isRecord(data.signal)) return { ok: false, reason: 'signal has no body' }
  if (data.signal.type !== undefined && typeof data.signal.type !== 'string') return { ok: false, reason: 'signal body type is not a string' }
  return { ok: true, value: data as unknown as SignalPayload }
}

/**
 * Checks a frame from the signaling server. `keyed` rooms carry encrypted
 * strings that only y-webrtc can open, so for them only the envelope is checked.
 */
export function checkSignalingFrame(frame: unknown, keyed: boolean): ParseResult<{ topic: string; payload: SignalPayload | string } | null> {
  if (!isRecord(frame) || typeof frame.type !== 'string') return { ok: false, reason: 'frame has no type' }
  if (frame.type !== 'publish') return { ok: true, value: null } // pong etc.: harmless to y-webrtc
  if (typeof frame.topic !== 'string') return { ok: false, reason: 'publish frame has no topic' }
  if (keyed) {
    if (typeof frame.data !== 'string' || frame.data.length > MAX_ENCRYPTED_PAYLOAD) return { ok: false, reason: 'encrypted payload missing or too large' }
    return { ok: true, value: { topic: frame.topic, payload: frame.data } }
  }
  const payload = parseSignalPayload(frame.data)
  if (!payload.ok) return payload
  return { ok: true, value: { topic: frame.topic, payload: payload.value } }
}

export interface PendingConn {
  readonly peerId: string
  readonly connected: boolean
  /** When we first tried to reach this peer id without success (kept across evictions). */
  readonly since: number
}

export interface PendingPolicy {
  /** A connection that has not opened by then is abandoned and its peer id distrusted. */
  readonly connectTimeoutMs: number
  /** Hard cap on simultaneous unopened attempts, so a flood cannot exhaust RTCPeerConnections. */
  readonly maxPending: number
}

export interface PendingDecision {
  /** Never connected within the timeout: drop and distrust the peer id. */
  readonly timedOut: readonly string[]
  /**
   * Over the pending cap: drop the attempts whose peers have been unreachable
   * longest, without distrusting them yet. A newly arrived honest tab is the
   * youngest attempt, so a crowd of silent announcers cannot push it out.
   */
  readonly evicted: readonly string[]
}

export function decidePendingConnections(conns: readonly PendingConn[], now: number, policy: PendingPolicy): PendingDecision {
  const pending = conns.filter((c) => !c.connected)
  const timedOut = pending.filter((c) => now - c.since >= policy.connectTimeoutMs).map((c) => c.peerId)
  const stillPending = pending.filter((c) => !timedOut.includes(c.peerId)).sort((a, b) => a.since - b.since || a.peerId.localeCompare(b.peerId))
  const excess = Math.max(0, stillPending.length - policy.maxPending)
  return { timedOut, evicted: stillPending.slice(0, excess).map((c) => c.peerId) }
}
