import { describe, expect, it } from 'vitest'
import { computePeers, type AwarenessEntry, type DirectoryInput } from '../../src/mesh/peer-directory'
import { PRESENCE_VERSION, type PresenceState } from '../../src/mesh/protocol'

const presence = (id: string, meshPeerId: string, extra: Partial<PresenceState> = {}): PresenceState =>
  ({ v: PRESENCE_VERSION, id, name: `name-${id}`, appVersion: '1', state: 'ready', visible: true, meshPeerId, caps: { webgpu: false }, load: 0, hb: 0, ...extra }) as PresenceState

const entry = (clientId: number, state: unknown, lastUpdated = 1000): AwarenessEntry => ({ clientId, state, lastUpdated })

const base = (over: Partial<DirectoryInput>): DirectoryInput => ({
  entries: [],
  selfClientId: 1,
  selfNodeId: null,
  directMeshPeers: new Set(),
  lostAt: new Map(),
  now: 1000,
  relayFreshMs: 16_000,
  ...over,
})

describe('computePeers', () => {
  it('shows directly connected peers and never ourselves', () => {
    const out = computePeers(base({ entries: [entry(1, presence('self00001', 'm1')), entry(2, presence('peer00002', 'm2'))], directMeshPeers: new Set(['m2']) }))
    expect(out.peers.map((p) => p.presence.id)).toEqual(['peer00002'])
    expect(out.peers[0]?.direct).toBe(true)
  })

  it('hides a peer with our own node id (a stale entry of a reloaded self)', () => {
    const out = computePeers(base({ selfNodeId: 'self00001' as never, entries: [entry(5, presence('self00001', 'm5'))], directMeshPeers: new Set(['m5']) }))
    expect(out.peers).toEqual([])
  })

  it('shows a relayed peer only while its heartbeat is fresh', () => {
    const e = entry(3, presence('peer00003', 'm3'), 1000)
    expect(computePeers(base({ entries: [e], now: 1000 + 16_000 })).peers).toHaveLength(1)
    expect(computePeers(base({ entries: [e], now: 1000 + 16_001 })).peers).toHaveLength(0)
  })

  it('drops a peer at once when its direct connection is lost, until a newer heartbeat arrives', () => {
    const e = entry(3, presence('peer00003', 'm3'), 1000)
    const lostAt = new Map([['m3', 1500]])
    expect(computePeers(base({ entries: [e], now: 1600, lostAt })).peers).toHaveLength(0)
    const relayedLater = entry(3, presence('peer00003', 'm3'), 1700)
    expect(computePeers(base({ entries: [relayedLater], now: 1800, lostAt })).peers).toHaveLength(1)
  })

  it('reports invalid states and ignores the initial empty state', () => {
    const out = computePeers(base({ entries: [entry(2, {}), entry(3, { v: PRESENCE_VERSION, id: 'x' }), entry(4, 'garbage'), entry(6, null)] }))
    expect(out.peers).toEqual([])
    expect(out.invalid.map((i) => i.clientId)).toEqual([3, 4])
  })

  it('rejects out-of-range fields from a hostile peer', () => {
    const bad = [
      presence('peer00002', 'm2', { load: 7 }),
      presence('peer00002', 'm2', { name: 'x'.repeat(500) }),
      presence('peer00002', 'm2', { state: 'owner' as never }),
      presence('peer00002', 'm2', { caps: { webgpu: 'yes' } as never }),
      presence('peer00002', 'm2', { caps: { webgpu: true, tokensPerSec: -3 } }),
      presence('NOT VALID', 'm2'),
    ]
    const out = computePeers(base({ entries: bad.map((s, i) => entry(10 + i, s)), directMeshPeers: new Set(['m2']) }))
    expect(out.peers).toEqual([])
    expect(out.invalid).toHaveLength(bad.length)
  })

  it('collapses two entries of one node (reload) to the direct or newest one', () => {
    const old = entry(7, presence('peer00002', 'old'), 900)
    const fresh = entry(8, presence('peer00002', 'new'), 950)
    const out = computePeers(base({ entries: [old, fresh], directMeshPeers: new Set(['new']) }))
    expect(out.peers.map((p) => p.clientId)).toEqual([8])
  })

  it('orders peers by name then id, identically on every replica', () => {
    const entries = [entry(3, presence('bbbbbbbb', 'm3', { name: 'zed' })), entry(2, presence('aaaaaaaa', 'm2', { name: 'amy' }))]
    const a = computePeers(base({ entries, directMeshPeers: new Set(['m2', 'm3']) }))
    const b = computePeers(base({ entries: [...entries].reverse(), directMeshPeers: new Set(['m2', 'm3']) }))
    expect(a.peers.map((p) => p.presence.name)).toEqual(['amy', 'zed'])
    expect(b.peers.map((p) => p.presence.name)).toEqual(['amy', 'zed'])
  })
})
