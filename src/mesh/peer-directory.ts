/**
 * Pure decision: which awareness entries are peers we are really connected to.
 *
 * Awareness alone is not enough: y-webrtc keeps a crashed peer's state for
 * 30 s, and relays states of peers we have no connection to. A peer counts when
 *  - we hold an open WebRTC (or same-browser BroadcastChannel) connection to
 *    it, or
 *  - it is reachable through the partial mesh: its heartbeat reached us
 *    recently *and* after we last lost a direct connection to it (otherwise a
 *    crashed neighbour would linger until its old state times out).
 */
import { parsePresence, type NodeId, type PresenceState } from './protocol'

export interface AwarenessEntry {
  readonly clientId: number
  readonly state: unknown
  /** Local receive time of the latest update for this client (awareness meta). */
  readonly lastUpdated: number
}

export interface PeerView {
  readonly clientId: number
  readonly presence: PresenceState
  /** Directly connected (WebRTC or BroadcastChannel) rather than relayed. */
  readonly direct: boolean
  readonly lastSeen: number
}

export interface DirectoryInput {
  readonly entries: readonly AwarenessEntry[]
  readonly selfClientId: number
  readonly selfNodeId: NodeId | null
  /** y-webrtc peer ids with an open connection (WebRTC connected, or BroadcastChannel). */
  readonly directMeshPeers: ReadonlySet<string>
  /** y-webrtc peer id → when we last lost a direct connection to it. */
  readonly lostAt: ReadonlyMap<string, number>
  readonly now: number
  /** How long a relayed heartbeat keeps a peer visible; a few heartbeat periods. */
  readonly relayFreshMs: number
}

export interface DirectoryOutput {
  readonly peers: readonly PeerView[]
  readonly invalid: readonly { clientId: number; reason: string }[]
}

export function computePeers(input: DirectoryInput): DirectoryOutput {
  const byNode = new Map<string, PeerView>()
  const invalid: { clientId: number; reason: string }[] = []
  for (const entry of input.entries) {
    if (entry.clientId === input.selfClientId || entry.state === null) continue
    // y-protocols starts every client at `{}`: not announced yet, not invalid.
    if (typeof entry.state === 'object' && Object.keys(entry.state as object).length === 0) continue
    const parsed = parsePresence(entry.state)
    if (!parsed.ok) {
      invalid.push({ clientId: entry.clientId, reason: parsed.reason })
      continue
    }
    const presence = parsed.value
    // Another tab of ours with our own id would be a bug elsewhere; never show ourselves.
    if (presence.id === input.selfNodeId) continue
    const direct = input.directMeshPeers.has(presence.meshPeerId)
    const lost = input.lostAt.get(presence.meshPeerId) ?? Number.NEGATIVE_INFINITY
    const relayedAndFresh = entry.lastUpdated > lost && input.now - entry.lastUpdated <= input.relayFreshMs
    if (!direct && !relayedAndFresh) continue
    const view: PeerView = { clientId: entry.clientId, presence, direct, lastSeen: entry.lastUpdated }
    // A reloaded tab briefly has two awareness entries with one node id: keep the newest.
    const existing = byNode.get(presence.id)
    if (!existing || preferNewer(view, existing)) byNode.set(presence.id, view)
  }
  const peers = [...byNode.values()].sort((a, b) => a.presence.name.localeCompare(b.presence.name) || a.presence.id.localeCompare(b.presence.id))
  return { peers, invalid }
}

function preferNewer(a: PeerView, b: PeerView): boolean {
  if (a.direct !== b.direct) return a.direct
  return a.lastSeen > b.lastSeen
}
