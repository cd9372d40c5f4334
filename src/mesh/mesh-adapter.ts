/**
 * The mesh as the rest of the app sees it: who is here and whether signaling
 * works. Implemented by WebrtcMesh (y-webrtc) and, in tests, by in-memory fakes.
 */
import type { PeerView } from './peer-directory'
import type { PresenceState } from './protocol'

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

export type PresenceInput = Omit<PresenceState, 'v' | 'meshPeerId' | 'hb'>

export interface MeshAdapter {
  status(): MeshStatus
  /** Other peers we are really connected to (see peer-directory.ts). */
  peers(): readonly PeerView[]
  /** Publish our presence; the adapter adds protocol version, mesh id and heartbeat. */
  setPresence(presence: PresenceInput): void
  /** Fires when status or the peer list changes. Returns its own unsubscribe. */
  onChange(listener: () => void): () => void
  destroy(): void
}
