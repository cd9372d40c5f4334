/**
 * Pure decisions on what a remote peer may send us, checked before y-webrtc
 * applies anything (see peer-gate.ts for where they run).
 *
 * The caps, and why these values (measured in tests/unit/transport-caps.test.ts):
 *  - frame size 256 KiB: Chromium's SCTP max-message-size (262,144 bytes);
 *    a Chromium peer cannot send a larger data-channel message at all, so
 *    the cap never drops honest WebRTC traffic. Larger messages (a big
 *    board's sync step 2) travel in chunks (chunking.ts), up to 16 MiB;
 *  - 1,000 messages burst, 200/s sustained: every tab relays every doc and
 *    awareness update it receives, so one link carries the whole room's
 *    update rate (heartbeats every 5 s per peer, partial output batches,
 *    leases); a busy room of dozens of tabs stays well below;
 *  - 16 MiB burst, 1 MiB/s sustained: room for the initial sync of a big
 *    board plus results, while a flooding peer is cut off within seconds;
 *  - decode budget (yjs-update-scan.ts): claimed counts never exceed the
 *    bytes that carry them, at most 1,000,000 items per update.
 * A peer that breaks a cap is dropped and ignored for a while (the caller
 * decides how long), and the reason is counted per peer for the swarm panel.
 */
import { fullBucket, takeTokens, type BucketPolicy, type BucketState } from './token-bucket'
import { DEFAULT_SCAN_BUDGET, Reader, scanUpdateV1, ScanError, type ScanBudget } from './yjs-update-scan'

export interface TransportCaps {
  readonly maxMessageBytes: number
  readonly messages: BucketPolicy
  readonly bytes: BucketPolicy
  readonly scan: ScanBudget
}

export const DEFAULT_TRANSPORT_CAPS: TransportCaps = {
  maxMessageBytes: 256 * 1024,
  messages: { capacity: 1_000, refillPerSec: 200 },
  bytes: { capacity: 16 * 1024 * 1024, refillPerSec: 1024 * 1024 },
  scan: DEFAULT_SCAN_BUDGET,
}

/** Why a message was refused: data, counted per peer and shown to people. */
export const CapViolation = {
  tooLarge: 'too-large',
  messageRate: 'message-rate',
  byteRate: 'byte-rate',
  malformed: 'malformed',
  decodeBudget: 'decode-budget',
  forbidden: 'forbidden-type',
} as const
export type CapViolation = (typeof CapViolation)[keyof typeof CapViolation]

/** y-webrtc's message tags (y-webrtc.js: messageSync, messageAwareness, ...). */
const MESSAGE_SYNC = 0
const MESSAGE_AWARENESS = 1
const MESSAGE_QUERY_AWARENESS = 3
const MESSAGE_BC_PEER_ID = 4
/** y-protocols/sync tags. */
const SYNC_STEP1 = 0
const SYNC_STEP2 = 1
const SYNC_UPDATE = 2

export type Admission = { ok: true } | { ok: false; reason: CapViolation; detail: string }

/**
 * Walks one y-webrtc message with bounded work. `viaBroadcastChannel`:
 * the peer-id message (tag 4) is only meaningful between tabs of one
 * browser; from a WebRTC peer it would let that peer mark honest peers as
 * "same browser", and y-webrtc then ignores their signaling: refused.
 */
export function scanPeerMessage(buf: Uint8Array, viaBroadcastChannel: boolean, budget: ScanBudget = DEFAULT_SCAN_BUDGET): Admission {
  try {
    const r = new Reader(buf)
    const type = r.varUint()
    switch (type) {
      case MESSAGE_SYNC: {
        const step = r.varUint()
        const len = r.blob()
        const body = buf.subarray(r.pos - len, r.pos)
        if (step === SYNC_STEP1) scanStateVector(body)
        else if (step === SYNC_STEP2 || step === SYNC_UPDATE) scanUpdateV1(body, budget)
        else return { ok: false, reason: 'malformed', detail: `unknown sync step ${step}` }
        break
      }
      case MESSAGE_AWARENESS: {
        const len = r.blob()
        scanAwareness(buf.subarray(r.pos - len, r.pos))
        break
      }
      case MESSAGE_QUERY_AWARENESS:
        break
      case MESSAGE_BC_PEER_ID:
        if (!viaBroadcastChannel) return { ok: false, reason: 'forbidden-type', detail: 'broadcast-channel peer id sent over WebRTC' }
        r.u8()
        r.blob()
        break
      default:
        return { ok: false, reason: 'malformed', detail: `unknown message type ${type}` }
    }
    if (r.left !== 0) return { ok: false, reason: 'malformed', detail: `${r.left} trailing bytes` }
    return { ok: true }
  } catch (err) {
    if (err instanceof ScanError) return { ok: false, reason: err.kind === 'budget' ? 'decode-budget' : 'malformed', detail: err.message }
    throw err
  }
}

function scanStateVector(sv: Uint8Array): void {
  const r = new Reader(sv)
  const n = r.count(2, 'state vector entries')
  for (let i = 0; i < n; i++) (r.varUint(), r.varUint())
  if (r.left !== 0) throw new ScanError(`${r.left} trailing bytes in state vector`)
}

/** y-protocols/awareness: n × (clientID, clock, JSON state). */
function scanAwareness(update: Uint8Array): void {
  const r = new Reader(update)
  const n = r.count(3, 'awareness states')
  for (let i = 0; i < n; i++) {
    r.varUint()
    r.varUint()
    r.blob()
  }
  if (r.left !== 0) throw new ScanError(`${r.left} trailing bytes in awareness update`)
}

export interface PeerAllowance {
  readonly messages: BucketState
  readonly bytes: BucketState
}

/** Size and rate of one frame from a WebRTC peer (a whole message, or one chunk of a large one). */
export function chargePeer(
  allowance: PeerAllowance | undefined,
  buf: Uint8Array,
  now: number,
  caps: TransportCaps = DEFAULT_TRANSPORT_CAPS,
): { admission: Admission; allowance: PeerAllowance } {
  const current = allowance ?? { messages: fullBucket(caps.messages, now), bytes: fullBucket(caps.bytes, now) }
  if (buf.length > caps.maxMessageBytes) return { admission: { ok: false, reason: 'too-large', detail: `${buf.length} bytes (max ${caps.maxMessageBytes})` }, allowance: current }
  const messages = takeTokens(current.messages, caps.messages, 1, now)
  const bytes = takeTokens(current.bytes, caps.bytes, buf.length, now)
  const next = { messages: messages.state, bytes: bytes.state }
  if (!messages.ok) return { admission: { ok: false, reason: 'message-rate', detail: `more than ${caps.messages.refillPerSec} messages/s sustained` }, allowance: next }
  if (!bytes.ok) return { admission: { ok: false, reason: 'byte-rate', detail: `more than ${caps.bytes.refillPerSec} bytes/s sustained` }, allowance: next }
  return { admission: { ok: true }, allowance: next }
}

/** The whole check for one unchunked message from a WebRTC peer: size, rate, then decode budget. */
export function admitPeerMessage(
  allowance: PeerAllowance | undefined,
  buf: Uint8Array,
  now: number,
  caps: TransportCaps = DEFAULT_TRANSPORT_CAPS,
): { admission: Admission; allowance: PeerAllowance } {
  const charged = chargePeer(allowance, buf, now, caps)
  if (!charged.admission.ok) return charged
  return { admission: scanPeerMessage(buf, false, caps.scan), allowance: charged.allowance }
}

/** Rate-limited logging: at most one line per key per window. Pure; the caller keeps the map. */
export function shouldLog(lastLogged: Map<string, number>, key: string, now: number, windowMs = 10_000): boolean {
  const last = lastLogged.get(key)
  if (last !== undefined && now - last < windowMs) return false
  lastLogged.set(key, now)
  if (lastLogged.size > 1_000) lastLogged.delete(lastLogged.keys().next().value as string)
  return true
}
