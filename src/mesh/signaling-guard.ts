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
  /** The peer has sent us WebRTC signals (offer, answer, candidates): it is trying, just slowly. */
  readonly responsive: boolean
}

export interface PendingPolicy {
  /** A connection that has not opened by then is abandoned and, if its peer never signalled, distrusted. */
  readonly connectTimeoutMs: number
  /**
   * Cap on unopened attempts to peers that never signalled. Announces beyond
   * it are ignored rather than replacing older attempts: destroying attempts
   * makes y-webrtc re-announce and race its own connection bookkeeping, and
   * honest newcomers still get in, because they also answer our announces.
   */
  readonly maxPending: number
}

export interface PendingDecision {
  /** Never connected within the timeout and never signalled: drop and distrust the peer id. */
  readonly timedOut: readonly string[]
  /** Signalled but did not connect in time (a slow or overloaded honest peer): drop and let it try again. */
  readonly retry: readonly string[]
}

export function decidePendingConnections(conns: readonly PendingConn[], now: number, policy: PendingPolicy): PendingDecision {
  // A peer that signals is trying: it gets three times as long before we start over with it.
  const expired = conns.filter((c) => !c.connected && now - c.since >= (c.responsive ? 3 : 1) * policy.connectTimeoutMs)
  return { timedOut: expired.filter((c) => !c.responsive).map((c) => c.peerId), retry: expired.filter((c) => c.responsive).map((c) => c.peerId) }
}

/** Whether to let y-webrtc open an attempt for an announce from a peer we have no connection to. */
export function admitAnnounce(conns: readonly PendingConn[], policy: PendingPolicy): boolean {
  return conns.filter((c) => !c.connected && !c.responsive).length < policy.maxPending
}
