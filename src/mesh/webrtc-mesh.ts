/**
 * MeshAdapter over y-webrtc. The Y.Doc does not know about us: y-webrtc syncs
 * it; we add what stock y-webrtc lacks for a swarm of untrusted tabs:
 *  - validation of every signaling frame before y-webrtc parses it;
 *  - connection attempts that never open are abandoned after a timeout and do
 *    not count against the connection limit (a peer that only announces
 *    itself cannot take the slots honest tabs need);
 *  - a peer list that only shows peers we are really connected to;
 *  - transport caps on everything a peer sends (size, rate, decode budget),
 *    checked before y-webrtc applies it (peer-gate.ts); a peer that breaks
 *    one is dropped and ignored like a silent announcer.
 *
 * Touching y-webrtc internals (Room.webrtcConns, SignalingConn observers) is
 * deliberate and kept to this file; y-webrtc 10.x has no public hooks for it.
 */
import type * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'
import { removeAwarenessStates } from 'y-protocols/awareness'
import { createLogger } from '../log'
import type { Clock } from '../clock'
import { computePeers, type AwarenessEntry, type PeerView } from './peer-directory'
import { admitAnnounce, checkSignalingFrame, decidePendingConnections, type PendingConn, type PendingPolicy } from './signaling-guard'
import { isNodeId, PRESENCE_VERSION, type PresenceState } from './protocol'
import type { MeshAdapter, MeshStatus, PeerRejectionView, PresenceInput, SignalingStatus } from './mesh-adapter'
import { BROADCAST_CHANNEL_SOURCE, PeerGate, type GatedRoom } from './peer-gate'
import { DEFAULT_TRANSPORT_CAPS, shouldLog, type CapViolation, type TransportCaps } from './transport-caps'
import type { KeyId } from '../trust/keys'
import { samePresence } from './presence-equal'

const log = createLogger('mesh')

export interface WebrtcMeshOptions {
  readonly doc: Y.Doc
  /** Signaling topic; the room name as the user typed it, namespaced by us. */
  readonly room: string
  /** Room secret from the URL fragment: y-webrtc encrypts signaling with it. Never sent to the server. */
  readonly password?: string
  readonly signalingUrls: readonly string[]
  readonly iceServers: readonly RTCIceServer[]
  readonly clock: Clock
  readonly maxConns?: number
  readonly pending?: Partial<PendingPolicy>
  readonly heartbeatMs?: number
  /** Our signing key id, published in presence (the node id is derived from it). */
  readonly keyId?: KeyId
  readonly caps?: TransportCaps
}

/** Structural view of the y-webrtc internals we read (see file comment). */
interface WebrtcConnLike {
  connected: boolean
  closed: boolean
  remotePeerId: string
  destroy(): void
}
interface RoomLike {
  peerId: string
  webrtcConns: Map<string, WebrtcConnLike>
  bcConns: Set<string>
}
interface SignalingConnLike {
  url: string
  connected: boolean
  unsuccessfulReconnects: number
  _observers: Map<string, Set<(...args: unknown[]) => void>>
  on(name: string, fn: (...args: unknown[]) => void): void
  off(name: string, fn: (...args: unknown[]) => void): void
}

const GUARDED = Symbol('mindos-guarded')
const DEFAULT_PENDING: PendingPolicy = { connectTimeoutMs: 10_000, maxPending: 16 }
const DISTRUST_MS = 5 * 60_000

export class WebrtcMesh implements MeshAdapter {
  private readonly provider: WebrtcProvider
  private readonly listeners = new Set<() => void>()
  /** peer id → first unanswered connection attempt (local time). */
  private readonly firstAttempt = new Map<string, number>()
  /** Peer ids that sent us WebRTC signals: honest even when slow, never distrusted for it. */
  private readonly responsive = new Set<string>()
  private readonly distrusted = new Map<string, number>()
  private readonly lostAt = new Map<string, number>()
  private lastDirect = new Set<string>()
  private presence: PresenceInput | null = null
  private heartbeat = 0
  private currentPeers: readonly PeerView[] = []
  private currentStatus: MeshStatus
  private lastSnapshot = ''
  private readonly reportedInvalid = new Set<number>()
  private readonly timers = new Set<() => void>()
  private readonly policy: PendingPolicy
  private readonly baseMaxConns: number
  private readonly heartbeatMs: number
  private readonly gate: PeerGate
  private readonly logged = new Map<string, number>()

  constructor(private readonly opts: WebrtcMeshOptions) {
    this.policy = { ...DEFAULT_PENDING, ...opts.pending }
    this.heartbeatMs = opts.heartbeatMs ?? 5_000
    // y-webrtc's own default is 20 + random(0..15): the spread stops N tabs forming closed clusters.
    this.baseMaxConns = opts.maxConns ?? 20 + Math.floor(Math.random() * 15)
    this.currentStatus = this.computeStatus()
    this.provider = new WebrtcProvider(opts.room, opts.doc, {
      signaling: [...opts.signalingUrls],
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      maxConns: this.baseMaxConns,
      filterBcConns: true,
      peerOpts: { config: { iceServers: [...opts.iceServers] } },
    })
    // Unopened attempts do not use up connection slots: y-webrtc reads maxConns on every announce.
    Object.defineProperty(this.provider, 'maxConns', { get: () => this.baseMaxConns + this.pendingCount() })
    for (const conn of this.signalingConns()) this.guard(conn)
    this.gate = new PeerGate(opts.caps ?? DEFAULT_TRANSPORT_CAPS, {
      now: () => opts.clock.now(),
      isDistrusted: (peerId) => this.isDistrusted(peerId),
      onViolation: this.onViolation,
    })
    // y-webrtc creates its Room once the room key is derived (a `then` registered before
    // this one): hook it before any signaling message can create a connection.
    void this.provider.key.then(() => {
      const room = this.room()
      if (room) this.gate.hookRoom(room as unknown as GatedRoom)
    })
    this.provider.awareness.on('change', this.refresh)
    this.provider.on('peers', this.refresh)
    this.provider.on('status', this.refresh)
    if (typeof window !== 'undefined') {
      window.addEventListener('pagehide', this.goodbye)
      window.addEventListener('pageshow', this.comeBack)
    }
    // On opts.clock (a worker timer in the app): a hidden tab's own timers fire once a
    // minute after 5 minutes hidden, and peers drop presence not renewed for 30 s.
    this.every(1_000, this.tick)
    this.every(this.heartbeatMs, this.beat)
  }

  status(): MeshStatus {
    return this.currentStatus
  }

  peers(): readonly PeerView[] {
    return this.currentPeers
  }

  setPresence(presence: PresenceInput): void {
    // Only what changed goes out: each publish is a broadcast to every peer (presence-equal.ts).
    const unchanged = this.presence !== null && samePresence(this.presence, presence)
    this.presence = presence
    if (!unchanged) this.publishPresence()
  }

  rejections(): readonly PeerRejectionView[] {
    const nodes = new Map<string, { id: string; name: unknown }>()
    for (const st of this.provider.awareness.getStates().values()) {
      const p = st as { meshPeerId?: unknown; id?: unknown; name?: unknown }
      if (typeof p.meshPeerId === 'string' && isNodeId(p.id)) nodes.set(p.meshPeerId, { id: p.id, name: p.name })
    }
    return this.gate.rejections().map((r) => {
      const node = nodes.get(r.source)
      return {
        ...r,
        node: node && isNodeId(node.id) ? node.id : null,
        name: typeof node?.name === 'string' ? node.name.slice(0, 80) : null,
        distrustedUntil: this.distrusted.get(r.source) ?? null,
      }
    })
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** For devtools and e2e diagnostics: what the mesh sees right now. */
  debugSnapshot(): unknown {
    const room = this.room()
    return {
      peerId: room?.peerId,
      conns: [...(room?.webrtcConns ?? [])].map(([id, c]) => ({ id, connected: c.connected, closed: c.closed })),
      bc: [...(room?.bcConns ?? [])],
      awareness: [...this.provider.awareness.getStates()].map(([clientId, st]) => ({ clientId, meshPeerId: (st as { meshPeerId?: string }).meshPeerId, name: (st as { name?: string }).name, id: (st as { id?: string }).id, key: (st as { key?: string }).key, lastUpdated: this.provider.awareness.meta.get(clientId)?.lastUpdated })),
      lostAt: [...this.lostAt],
      distrusted: [...this.distrusted],
      rejections: this.rejections(),
      now: this.opts.clock.now(),
    }
  }

  destroy(): void {
    if (typeof window !== 'undefined') {
      window.removeEventListener('pagehide', this.goodbye)
      window.removeEventListener('pageshow', this.comeBack)
    }
    for (const cancel of this.timers) cancel()
    this.timers.clear()
    this.provider.awareness.off('change', this.refresh)
    this.provider.destroy()
    this.listeners.clear()
  }

  /**
   * The tab is going away (closed, navigated, or put in the back/forward
   * cache): tell peers now, so they drop us from their peer list and re-queue
   * our leases at once instead of waiting for silence. y-webrtc does this on
   * `beforeunload` only, which does not fire for every close (and never for
   * the back/forward cache); `pagehide` does.
   */
  private readonly goodbye = (): void => {
    log.info('page hidden for good: announcing our departure')
    removeAwarenessStates(this.provider.awareness, [this.provider.awareness.clientID], 'pagehide')
    this.provider.disconnect()
  }

  /** Back from the back/forward cache: rejoin. */
  private readonly comeBack = (event: PageTransitionEvent): void => {
    if (!event.persisted) return
    log.info('page restored from the back/forward cache: rejoining')
    this.provider.connect()
    this.publishPresence()
  }

  private every(ms: number, fn: () => void): void {
    let cancel: () => void = () => {}
    const loop = (): void => {
      this.timers.delete(cancel)
      cancel = this.opts.clock.setTimeout(loop, ms)
      this.timers.add(cancel)
      fn()
    }
    cancel = this.opts.clock.setTimeout(loop, ms)
    this.timers.add(cancel)
  }

  private isDistrusted(peerId: string): boolean {
    const until = this.distrusted.get(peerId)
    return until !== undefined && this.opts.clock.now() < until
  }

  /** A peer broke a transport cap: drop its connection and ignore its id for DISTRUST_MS. */
  private readonly onViolation = (source: string, reason: CapViolation, detail: string): void => {
    const now = this.opts.clock.now()
    if (source === BROADCAST_CHANNEL_SOURCE) {
      if (shouldLog(this.logged, `${source}:${reason}`, now)) log.warn(`dropped a message from a tab of this browser (${reason}: ${detail})`)
      return
    }
    if (shouldLog(this.logged, source, now)) log.warn(`peer ${source.slice(0, 8)} broke a transport cap (${reason}: ${detail}); dropping it and ignoring it for ${DISTRUST_MS / 60_000} min`)
    this.distrusted.set(source, now + DISTRUST_MS)
    // Not inside simple-peer's own data event: destroy on the next microtask.
    queueMicrotask(() => {
      this.room()?.webrtcConns.get(source)?.destroy()
      this.refresh()
    })
  }

  private room(): RoomLike | null {
    return (this.provider as unknown as { room: RoomLike | null }).room
  }

  private signalingConns(): SignalingConnLike[] {
    return this.provider.signalingConns as SignalingConnLike[]
  }

  private pendingCount(): number {
    const room = this.room()
    if (!room) return 0
    let n = 0
    for (const c of room.webrtcConns.values()) if (!c.connected && !c.closed) n++
    return n
  }

  /**
   * Wraps y-webrtc's message handler on a signaling connection so that
   * malformed frames and frames from distrusted peers never reach it.
   */
  private guard(conn: SignalingConnLike): void {
    const marked = conn as unknown as Record<symbol, boolean>
    if (marked[GUARDED]) return
    marked[GUARDED] = true
    const handlers = conn._observers.get('message')
    if (handlers) {
      const originals = [...handlers]
      handlers.clear()
      for (const original of originals) handlers.add((frame: unknown, ...rest: unknown[]) => {
        if (this.admit(frame)) original(frame, ...rest)
      })
    }
    conn.on('connect', this.refresh)
    conn.on('disconnect', this.refresh)
  }

  private admit(frame: unknown): boolean {
    const checked = checkSignalingFrame(frame, this.opts.password !== undefined)
    if (!checked.ok) {
      log.warn(`dropped signaling frame: ${checked.reason}`)
      return false
    }
    const value = checked.value
    if (value === null || typeof value.payload === 'string') return true
    const { payload } = value
    const until = this.distrusted.get(payload.from)
    if (until !== undefined) {
      if (this.opts.clock.now() < until) return false
      this.distrusted.delete(payload.from)
    }
    // An answer to us for a connection we never offered would throw inside y-webrtc
    // (answers addressed to other peers are ignored by y-webrtc itself).
    const room = this.room()
    if (payload.type === 'signal' && payload.signal.type === 'answer' && payload.to === room?.peerId && !room.webrtcConns.has(payload.from)) {
      log.warn(`dropped answer from ${payload.from.slice(0, 8)}: no offer was made to it`)
      return false
    }
    if (payload.type === 'signal') this.responsive.add(payload.from)
    if (payload.type === 'announce' && room && !room.webrtcConns.has(payload.from) && !admitAnnounce(this.pendingView(room, this.opts.clock.now()), this.policy)) {
      return false // at the cap of silent attempts: this peer gets in when it answers our own announce
    }
    queueMicrotask(this.tick)
    return true
  }

  private pendingView(room: RoomLike, now: number): PendingConn[] {
    return [...room.webrtcConns.entries()].map(([peerId, c]) => {
      if (c.connected) {
        this.firstAttempt.delete(peerId)
        this.responsive.delete(peerId)
      } else if (!this.firstAttempt.has(peerId)) this.firstAttempt.set(peerId, now)
      return { peerId, connected: c.connected, since: this.firstAttempt.get(peerId) ?? now, responsive: this.responsive.has(peerId) }
    })
  }

  /** Enforces the pending-connection policy and refreshes the peer list. */
  private readonly tick = (): void => {
    const room = this.room()
    const now = this.opts.clock.now()
    if (room) {
      const conns = this.pendingView(room, now)
      const decision = decidePendingConnections(conns, now, this.policy)
      for (const peerId of decision.timedOut) {
        log.warn(`peer ${peerId.slice(0, 8)} announced itself but never connected; ignoring it for ${DISTRUST_MS / 60_000} min`)
        this.distrusted.set(peerId, now + DISTRUST_MS)
        this.firstAttempt.delete(peerId)
        room.webrtcConns.get(peerId)?.destroy()
      }
      for (const peerId of decision.retry) {
        log.info(`connection to ${peerId.slice(0, 8)} is slow to open; starting over`)
        this.firstAttempt.delete(peerId)
        this.responsive.delete(peerId)
        room.webrtcConns.get(peerId)?.destroy()
      }
    }
    for (const [peerId, until] of this.distrusted) if (until <= now) this.distrusted.delete(peerId)
    for (const peerId of this.gate.peersWithAllowance()) if (!room?.webrtcConns.has(peerId)) this.gate.forget(peerId)
    // Forget attempts y-webrtc has dropped (closed or replaced).
    for (const peerId of this.firstAttempt.keys()) {
      if (room?.webrtcConns.has(peerId)) continue
      this.firstAttempt.delete(peerId)
      this.responsive.delete(peerId)
    }
    for (const conn of this.signalingConns()) this.guard(conn)
    this.refresh()
  }

  private readonly beat = (): void => {
    this.heartbeat++
    this.publishPresence()
  }

  private publishPresence(): void {
    const room = this.room()
    if (!this.presence || !room) return
    const state: PresenceState = { ...this.presence, v: PRESENCE_VERSION, meshPeerId: room.peerId, hb: this.heartbeat, ...(this.opts.keyId ? { key: this.opts.keyId } : {}) }
    this.provider.awareness.setLocalState(state)
  }

  private readonly refresh = (): void => {
    const room = this.room()
    const now = this.opts.clock.now()
    if (room && this.presence && this.provider.awareness.getLocalState()?.meshPeerId !== room.peerId) this.publishPresence()
    const direct = new Set<string>(room?.bcConns ?? [])
    for (const [peerId, c] of room?.webrtcConns ?? []) if (c.connected && !c.closed) direct.add(peerId)
    for (const peerId of this.lastDirect) if (!direct.has(peerId)) this.lostAt.set(peerId, now)
    this.lastDirect = direct
    const awareness = this.provider.awareness
    const entries: AwarenessEntry[] = [...awareness.getStates().entries()].map(([clientId, state]) => ({
      clientId,
      state,
      lastUpdated: awareness.meta.get(clientId)?.lastUpdated ?? 0,
    }))
    const out = computePeers({
      entries,
      selfClientId: awareness.clientID,
      selfNodeId: this.presence?.id ?? null,
      directMeshPeers: direct,
      lostAt: this.lostAt,
      now,
      relayFreshMs: this.heartbeatMs * 3 + 1_000,
    })
    for (const bad of out.invalid) {
      if (this.reportedInvalid.has(bad.clientId)) continue
      this.reportedInvalid.add(bad.clientId)
      log.warn(`ignoring invalid presence from client ${bad.clientId}: ${bad.reason}`)
    }
    this.currentPeers = out.peers
    this.currentStatus = this.computeStatus()
    const snapshot = JSON.stringify([this.currentStatus, out.peers.map((p) => [p.presence, p.direct])])
    if (snapshot === this.lastSnapshot) return
    this.lastSnapshot = snapshot
    for (const l of this.listeners) l()
  }

  private computeStatus(): MeshStatus {
    const conns = this.provider ? this.signalingConns() : []
    const connected = conns.filter((c) => c.connected).length
    const failed = conns.some((c) => c.unsuccessfulReconnects > 0)
    const signaling: SignalingStatus = connected > 0 ? 'connected' : failed ? 'unreachable' : 'connecting'
    return {
      signaling,
      signalingUrls: this.opts.signalingUrls,
      connectedSignaling: connected,
      directConnections: this.lastDirect.size,
      pendingConnections: this.provider ? this.pendingCount() : 0,
    }
  }
}
