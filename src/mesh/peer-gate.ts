/**
 * Where the transport caps (transport-caps.ts) meet y-webrtc. y-webrtc 10.x
 * applies whatever a peer sends (WebrtcConn's `data` handler calls
 * readMessage → Y.applyUpdate / applyAwarenessUpdate) and has no hook
 * before that, so we reach into its internals, deliberately and only here:
 *  - `room.webrtcConns.set` is wrapped, so every WebrtcConn is hooked the
 *    moment y-webrtc creates it (long before its data channel opens);
 *  - each conn's simple-peer `emit` is wrapped: a `data` event that breaks a
 *    cap is swallowed before y-webrtc's listener sees it; chunk frames are
 *    reassembled first (chunking.ts);
 *  - each conn's simple-peer `send` is wrapped: a message over the frame
 *    limit goes out in chunks instead of failing silently, and every frame
 *    is paced to stay inside the caps the receiver applies to us
 *    (send-pacer.ts: relaying a cut-off flooder must not get us cut off);
 *  - the BroadcastChannel subscriber (same-browser tabs) is swapped for one
 *    that checks size and decode budget first (decrypting a copy in keyed
 *    rooms, as y-webrtc does). Same-origin tabs share no peer id per
 *    message, so they get no rate limit and are never distrusted.
 * Written against y-webrtc 10.3.0 (src/y-webrtc.js); the structural types
 * below are all we rely on.
 */
import * as bc from 'lib0/broadcastchannel'
import * as decoding from 'lib0/decoding'
import { createLogger } from '../log'
import { isChunkFrame, MAX_REASSEMBLED_BYTES, Reassembler, splitMessage } from './chunking'
import { pacerPolicy, SendPacer } from './send-pacer'
import { chargePeer, scanPeerMessage, shouldLog, type Admission, type CapViolation, type PeerAllowance, type TransportCaps } from './transport-caps'

const log = createLogger('mesh')

export interface GatedPeer {
  remotePeerId: string
  peer: { emit: (event: string, ...args: unknown[]) => boolean; send: (data: unknown) => void }
}

export interface GatedRoom {
  name: string
  key: CryptoKey | null
  webrtcConns: Map<string, GatedPeer>
  _bcSubscriber: (data: ArrayBuffer) => unknown
}

export const BROADCAST_CHANNEL_SOURCE = 'broadcastchannel'
/** A whole board synced between tabs of one browser: no SCTP limit there. */
const MAX_BC_MESSAGE_BYTES = 64 * 1024 * 1024

export interface PeerRejections {
  /** y-webrtc peer id, or BROADCAST_CHANNEL_SOURCE. */
  readonly source: string
  readonly total: number
  readonly byReason: Readonly<Partial<Record<CapViolation, number>>>
  readonly lastDetail: string
  readonly lastAt: number
}

export interface PeerGateHooks {
  now(): number
  /** Messages from these peers are dropped without counting (they were already cut off). */
  isDistrusted(peerId: string): boolean
  onViolation(source: string, reason: CapViolation, detail: string): void
  /** Timer for outgoing pacing; setTimeout by default. */
  schedule?(ms: number, fn: () => void): () => void
}

const defaultSchedule = (ms: number, fn: () => void): (() => void) => {
  const t = setTimeout(fn, ms)
  return () => clearTimeout(t)
}

const GATED = Symbol('mindos-gated')

export class PeerGate {
  private readonly allowances = new Map<string, PeerAllowance>()
  private readonly rejected = new Map<string, PeerRejections>()
  private readonly logged = new Map<string, number>()
  private bcChain: Promise<unknown> = Promise.resolve()
  private nextMessageId = 1

  constructor(
    private readonly caps: TransportCaps,
    private readonly hooks: PeerGateHooks,
  ) {}

  hookRoom(room: GatedRoom): void {
    const conns = room.webrtcConns as Map<string, GatedPeer> & { [GATED]?: true }
    if (conns[GATED]) return
    conns[GATED] = true
    for (const conn of conns.values()) this.hookConn(conn)
    const set = conns.set.bind(conns)
    conns.set = (id, conn) => {
      this.hookConn(conn)
      return set(id, conn)
    }
    this.hookBroadcastChannel(room)
  }

  rejections(): readonly PeerRejections[] {
    return [...this.rejected.values()]
  }

  peersWithAllowance(): string[] {
    return [...this.allowances.keys()]
  }

  /** Forget a peer's allowance once its connection is gone (keeps the map bounded). */
  forget(peerId: string): void {
    this.allowances.delete(peerId)
  }

  private hookConn(conn: GatedPeer): void {
    const peer = conn.peer as GatedPeer['peer'] & { [GATED]?: true }
    if (peer[GATED]) return
    peer[GATED] = true
    const emit = peer.emit
    const send = peer.send
    const reassembler = new Reassembler()
    const pacer = new SendPacer(pacerPolicy(this.caps), { now: () => this.hooks.now(), schedule: this.hooks.schedule ?? defaultSchedule, send: (frame) => send.call(peer, frame) })
    let droppedLogged = 0
    peer.emit = (event: string, ...args: unknown[]): boolean => {
      if (event === 'close') pacer.clear()
      if (event !== 'data') return emit.call(peer, event, ...args)
      const message = this.admitWebrtc(conn.remotePeerId, args[0], reassembler)
      return message ? emit.call(peer, 'data', message) : false
    }
    peer.send = (data: unknown): void => {
      if (!(data instanceof Uint8Array)) return send.call(peer, data)
      if (data.length > MAX_REASSEMBLED_BYTES) {
        log.warn(`not sending a ${data.length}-byte message to ${conn.remotePeerId.slice(0, 8)}: over ${MAX_REASSEMBLED_BYTES} bytes even in chunks`)
        return
      }
      const frames = data.length <= this.caps.maxMessageBytes ? [data] : splitMessage(data, this.nextMessageId++)
      for (const frame of frames) pacer.push(frame)
      if (pacer.droppedFrames() > droppedLogged) {
        droppedLogged = pacer.droppedFrames()
        if (shouldLog(this.logged, conn.remotePeerId, this.hooks.now())) log.warn(`send queue to ${conn.remotePeerId.slice(0, 8)} is full (relaying a flood?): ${droppedLogged} frames dropped so far`)
      }
    }
  }

  /** The message to hand to y-webrtc, or null when there is none (refused, or a chunk of an unfinished one). */
  private admitWebrtc(peerId: string, data: unknown, reassembler: Reassembler): Uint8Array | null {
    if (this.hooks.isDistrusted(peerId)) return null
    if (!(data instanceof Uint8Array)) return this.reject(peerId, 'malformed', 'data is not binary')
    // A stock y-webrtc client answers a message it cannot read (e.g. our chunks) with an empty one.
    if (data.length === 0) return null
    const { admission, allowance } = chargePeer(this.allowances.get(peerId), data, this.hooks.now(), this.caps)
    this.allowances.set(peerId, allowance)
    if (!admission.ok) return this.reject(peerId, admission.reason, admission.detail)
    let message = data
    if (isChunkFrame(data)) {
      const step = reassembler.accept(data)
      if (step.status === 'partial') return null
      if (step.status === 'error') return this.reject(peerId, step.reason, step.detail)
      message = step.message
    }
    const scanned = scanPeerMessage(message, false, this.caps.scan)
    return scanned.ok ? message : this.reject(peerId, scanned.reason, scanned.detail)
  }

  private hookBroadcastChannel(room: GatedRoom): void {
    const original = room._bcSubscriber
    const gated = (data: ArrayBuffer): void => {
      // Keep y-webrtc's order of messages: each waits for the one before.
      this.bcChain = this.bcChain
        .then(() => this.admitBroadcast(data, room.key))
        .then((ok) => (ok ? original(data) : undefined))
        .catch(() => undefined)
    }
    bc.subscribe(room.name, gated) // subscribe first: unsubscribing the last listener would close the channel
    bc.unsubscribe(room.name, original)
    room._bcSubscriber = gated
  }

  private async admitBroadcast(data: unknown, key: CryptoKey | null): Promise<boolean> {
    // lib0 posts a Uint8Array (structured clone keeps it one); older senders posted an ArrayBuffer.
    const bytes = data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : null
    if (!bytes) return this.refuseBroadcast('malformed', 'data is not binary')
    if (bytes.length > MAX_BC_MESSAGE_BYTES) return this.refuseBroadcast('too-large', `${bytes.length} bytes`)
    const plain = key ? await decrypt(bytes, key) : bytes
    if (!plain) return false // not for this room's key: y-webrtc drops it too
    const admission: Admission = scanPeerMessage(plain, true, this.caps.scan)
    return admission.ok || this.refuseBroadcast(admission.reason, admission.detail)
  }

  private refuseBroadcast(reason: CapViolation, detail: string): false {
    this.reject(BROADCAST_CHANNEL_SOURCE, reason, detail)
    return false
  }

  private reject(source: string, reason: CapViolation, detail: string): null {
    const prev = this.rejected.get(source)
    const byReason = { ...prev?.byReason, [reason]: (prev?.byReason[reason] ?? 0) + 1 }
    this.rejected.set(source, { source, total: (prev?.total ?? 0) + 1, byReason, lastDetail: `${reason}: ${detail}`, lastAt: this.hooks.now() })
    if (this.rejected.size > 500) this.rejected.delete(this.rejected.keys().next().value as string)
    this.hooks.onViolation(source, reason, detail)
    return null
  }
}

/** y-webrtc's crypto.js format: varString 'AES-GCM', varUint8Array iv, varUint8Array ciphertext. */
async function decrypt(data: Uint8Array, key: CryptoKey): Promise<Uint8Array | null> {
  try {
    const d = decoding.createDecoder(data)
    if (decoding.readVarString(d) !== 'AES-GCM') return null
    const iv = decoding.readVarUint8Array(d).slice()
    const cipher = decoding.readVarUint8Array(d).slice()
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, cipher))
  } catch {
    return null
  }
}
