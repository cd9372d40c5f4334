/**
 * The signaling wire protocol: exactly what y-webrtc's `SignalingConn` (via
 * lib0's `WebsocketClient`) sends, so a stock client works unmodified against
 * this server. Every frame is one JSON text message with a string `type`:
 *
 *   subscribe   { topics: string[] }  join rooms (y-webrtc sends every room it has)
 *   unsubscribe { topics: string[] }  leave rooms
 *   publish     { topic, data?, ... } relayed verbatim to every subscriber of
 *                                      `topic` (the sender too, if subscribed),
 *                                      with `clients` set to the receiver count
 *   ping        {}                     answered with { type: 'pong' } (lib0 sends
 *                                      one every 15 s and reconnects without it)
 *
 * Frames are untrusted input (ARCHITECTURE invariant 5): `parseFrame` validates
 * shape only and never throws. Size, rate and topic-name limits are policy and
 * live in limits.ts / topic-registry.ts.
 */

/** Bumped when the wire format changes incompatibly; reported by /healthz. */
export const SIGNALING_PROTOCOL_VERSION = 1

export interface SubscribeFrame {
  readonly type: 'subscribe'
  readonly topics: readonly string[]
}

export interface UnsubscribeFrame {
  readonly type: 'unsubscribe'
  readonly topics: readonly string[]
}

/**
 * `data` is opaque to the server: a plain object for unencrypted rooms, a
 * base64 string (AES-GCM ciphertext) when the room has a password. Any other
 * fields are preserved and relayed too, as the stock server does.
 */
export interface PublishFrame {
  readonly type: 'publish'
  readonly topic: string
  readonly data?: unknown
  readonly [extra: string]: unknown
}

export interface PingFrame {
  readonly type: 'ping'
}

export type ClientFrame = SubscribeFrame | UnsubscribeFrame | PublishFrame | PingFrame

/** Server → client frame answering a `ping`. Publish relays are PublishFrames plus `clients`. */
export const PONG_TEXT = JSON.stringify({ type: 'pong' })

/** Why a text frame was rejected; also the `reason` label of the dropped-frames metric. */
export const FrameRejectReason = {
  MALFORMED_JSON: 'malformed_json',
  NOT_AN_OBJECT: 'not_an_object',
  UNKNOWN_TYPE: 'unknown_type',
  INVALID_TOPICS: 'invalid_topics',
  INVALID_TOPIC: 'invalid_topic',
} as const
export type FrameRejectReason = (typeof FrameRejectReason)[keyof typeof FrameRejectReason]

export type ParseResult =
  | { readonly ok: true; readonly frame: ClientFrame }
  | { readonly ok: false; readonly reason: FrameRejectReason }

type JsonObject = Record<string, unknown>

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Stricter than stock, which skips non-string entries one by one: a frame whose
 * topics are not all strings did not come from y-webrtc, so we drop all of it.
 */
function isTopicList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((t) => typeof t === 'string')
}

export function isSubscribeFrame(value: unknown): value is SubscribeFrame {
  return isJsonObject(value) && value.type === 'subscribe' && isTopicList(value.topics)
}

export function isUnsubscribeFrame(value: unknown): value is UnsubscribeFrame {
  return isJsonObject(value) && value.type === 'unsubscribe' && isTopicList(value.topics)
}

/** Stock ignores a publish with a falsy topic; an empty string is not a room. */
export function isPublishFrame(value: unknown): value is PublishFrame {
  return isJsonObject(value) && value.type === 'publish' && typeof value.topic === 'string' && value.topic !== ''
}

export function isPingFrame(value: unknown): value is PingFrame {
  return isJsonObject(value) && value.type === 'ping'
}

/** Called once per incoming text frame by signaling.ts; never throws. */
export function parseFrame(raw: string): ParseResult {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return { ok: false, reason: FrameRejectReason.MALFORMED_JSON }
  }
  if (!isJsonObject(value)) return { ok: false, reason: FrameRejectReason.NOT_AN_OBJECT }
  switch (value.type) {
    case 'subscribe':
    case 'unsubscribe':
      return isSubscribeFrame(value) || isUnsubscribeFrame(value)
        ? { ok: true, frame: value }
        : { ok: false, reason: FrameRejectReason.INVALID_TOPICS }
    case 'publish':
      return isPublishFrame(value) ? { ok: true, frame: value } : { ok: false, reason: FrameRejectReason.INVALID_TOPIC }
    case 'ping':
      return { ok: true, frame: { type: 'ping' } }
    default:
      return { ok: false, reason: FrameRejectReason.UNKNOWN_TYPE }
  }
}
