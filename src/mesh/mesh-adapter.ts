/**
 * The mesh as the rest of the app sees it: who is here and whether signaling
 * works. Implemented by WebrtcMesh (y-webrtc) and, in tests, by in-memory fakes.
 */
import type { PeerView } from './peer-directory'
import type { NodeId, PresenceState } from './protocol'
import type { CapViolation } from './transport-caps'

export type SignalingStatus = 'connecting' | 'connected' | 'unreachable'

export interface MeshStatus {
  readonly signaling: SignalingStatus
  readonly signalingUrls: readonly string[]
  readonly connectedSignaling: number
  /** Open WebRTC/BroadcastChannel connections (direct neighbours). */
  readonly directConnections: number
  /** Unopened connection attempts currently held. */
  readonly pendingConnections: number
}

export type PresenceInput = Omit<PresenceState, 'v' | 'meshPeerId' | 'hb' | 'key'>

/** Messages refused from one source by the transport caps (see transport-caps.ts). */
export interface PeerRejectionView {
  /** y-webrtc peer id, or 'broadcastchannel' for same-browser tabs. */
  readonly source: string
  /** From the source's presence, when it published one (a hostile client may not). */
  readonly node: NodeId | null
  readonly name: string | null
  readonly total: number
  readonly byReason: Readonly<Partial<Record<CapViolation, number>>>
  readonly lastDetail: string
  readonly lastAt: number
  /** Until when its connection attempts are ignored, if it is cut off now. */
  readonly distrustedUntil: number | null
}

export interface MeshAdapter {
  status(): MeshStatus
  /** Other peers we are really connected to (see peer-directory.ts). */
  peers(): readonly PeerView[]
  /** Publish our presence; the adapter adds protocol version, mesh id and heartbeat. */
  setPresence(presence: PresenceInput): void
  /** Per-source counts of refused messages, with reasons (for the swarm panel). */
  rejections(): readonly PeerRejectionView[]
  /** Fires when status or the peer list changes. Returns its own unsubscribe. */
  onChange(listener: () => void): () => void
  destroy(): void
}
