import { describe, expect, it } from 'vitest'
import { acquireIdentity, type IdentityStore, type StoredIdentity, type TabLocks } from '../../src/mesh/identity'
import { seededRandom } from '../../src/clock'
import { onLog, type LogEntry } from '../../src/log'
import { isNodeId, parsePresence, presenceIdentity, type NodeId } from '../../src/mesh/protocol'
import { fakeVault } from './fake-crypto'
import { nodeIdFromKeyId, type KeyVault } from '../../src/trust/keys'
import { webCryptoVault } from '../../src/trust/webcrypto'

/** Fakes of the storage and lock side effects. */
function fakeStore(): IdentityStore & { items: Map<string, StoredIdentity> } {
  const items = new Map<string, StoredIdentity>()
  return { items, loadAll: async () => [...items.values()], save: async (i) => void items.set(i.id, i), remove: async (id) => void items.delete(id) }
}
function fakeLocks(): TabLocks {
  const held = new Set<string>()
  return {
    tryHold: async (name) => {
      if (held.has(name)) return null
      held.add(name)
      return () => held.delete(name)
    },
  }
}
function captureLog(): { entries: LogEntry[]; stop: () => void } {
  const entries: LogEntry[] = []
  return { entries, stop: onLog((e) => entries.push(e)) }
}

describe('acquireIdentity', () => {
  it('mints a key pair and derives the node id from its public key; keeps both across reloads', async () => {
    const store = fakeStore()
    const locks = fakeLocks()
    const vault = fakeVault()
    const first = await acquireIdentity(store, locks, vault, seededRandom(1), 10)
    expect(isNodeId(first.identity.id)).toBe(true)
    expect(first.identity.keyId).not.toBeNull()
    expect(first.identity.id).toBe(nodeIdFromKeyId(first.identity.keyId!))
    expect(first.identity.name).toMatch(/^[a-z]+-[a-z]+$/)
    first.release() // the tab reloads
    const again = await acquireIdentity(store, locks, vault, seededRandom(2), 20)
    expect(again.identity.id).toBe(first.identity.id)
    expect(again.identity.keyId).toBe(first.identity.keyId)
    expect(vault.minted).toBe(1)
  })

  it('gives a second live tab of the same browser its own identity and key', async () => {
    const store = fakeStore()
    const locks = fakeLocks()
    const vault = fakeVault()
    const a = await acquireIdentity(store, locks, vault, seededRandom(1), 10)
    const b = await acquireIdentity(store, locks, vault, seededRandom(2), 20)
    expect(b.identity.id).not.toBe(a.identity.id)
    expect(b.identity.keyId).not.toBe(a.identity.keyId)
    expect(store.items.size).toBe(2)
    a.release()
    b.release()
    const c = await acquireIdentity(store, locks, vault, seededRandom(3), 30)
    expect(c.identity.id).toBe(a.identity.id) // oldest free identity first
  })

  it('migrates an identity stored before keys: new key, new id, same name, and says so', async () => {
    const store = fakeStore()
    const old = { id: 'oldid0123456789a' as NodeId, name: 'amber-otter', createdAt: 5 }
    store.items.set(old.id, old)
    const log = captureLog()
    const got = await acquireIdentity(store, fakeLocks(), fakeVault(), seededRandom(1), 10)
    log.stop()
    expect(got.migratedFrom).toBe(old.id)
    expect(got.identity.name).toBe('amber-otter')
    expect(got.identity.createdAt).toBe(5)
    expect(got.identity.id).toBe(nodeIdFromKeyId(got.identity.keyId!))
    expect([...store.items.keys()]).toEqual([got.identity.id])
    expect(log.entries.some((e) => e.message.includes(`node id changed from ${old.id} to ${got.identity.id}`))).toBe(true)
  })

  it('re-keys an identity whose stored key does not match its id, or cannot be opened', async () => {
    const vault = fakeVault()
    const store = fakeStore()
    store.items.set('mismatch0000000a', { id: 'mismatch0000000a' as NodeId, name: 'x-y', createdAt: 1, keys: { fakeSeed: 'other' } })
    const broken: KeyVault = { mint: vault.mint, open: async () => Promise.reject(new Error('DataError')) }
    const got = await acquireIdentity(store, fakeLocks(), broken, seededRandom(1), 10)
    expect(got.migratedFrom).toBe('mismatch0000000a')
    expect(got.identity.signer).not.toBeNull()
  })

  it('joins unsigned, never crashes, where no signing is available', async () => {
    const none: KeyVault = { mint: async () => Promise.reject(new Error('crypto.subtle is undefined')), open: async () => null }
    const store = fakeStore()
    const got = await acquireIdentity(store, fakeLocks(), none, seededRandom(1), 10)
    expect(got.identity.keyId).toBeNull()
    expect(isNodeId(got.identity.id)).toBe(true)
    // A stored keyless identity stays as it is rather than being lost.
    const again = await acquireIdentity(store, fakeLocks(), none, seededRandom(2), 20)
    expect(again.identity.id).toBe(got.identity.id)
  })

  it('works with real WebCrypto keys (Node 20 has Ed25519)', async () => {
    const store = fakeStore()
    const locks = fakeLocks()
    const a = await acquireIdentity(store, locks, webCryptoVault(), seededRandom(1), 10)
    expect(a.identity.keyId?.startsWith('ed25519:')).toBe(true)
    a.release()
    const b = await acquireIdentity(store, locks, webCryptoVault(), seededRandom(1), 10)
    expect(b.identity.keyId).toBe(a.identity.keyId)
  })
})

describe('presence with a key', () => {
  const base = { v: 1, name: 'amber-otter', appVersion: '0.1.0', state: 'ready', visible: true, meshPeerId: 'peer-1', caps: { webgpu: false }, load: 0, hb: 0 }
  it('accepts a key that hashes to the node id; marks a keyless (older) presence unverified', async () => {
    const { identity } = await acquireIdentity(fakeStore(), fakeLocks(), fakeVault(), seededRandom(1), 1)
    const bound = parsePresence({ ...base, id: identity.id, key: identity.keyId })
    expect(bound.ok && presenceIdentity(bound.value)).toBe('key-bound')
    const old = parsePresence({ ...base, id: 'oldid0123456789a' })
    expect(old.ok && presenceIdentity(old.value)).toBe('unverified')
  })
  it('rejects a key that does not match the id, or is malformed', async () => {
    const { identity } = await acquireIdentity(fakeStore(), fakeLocks(), fakeVault(), seededRandom(1), 1)
    expect(parsePresence({ ...base, id: 'someoneelse00000', key: identity.keyId })).toMatchObject({ ok: false, reason: 'node id is not derived from its key' })
    expect(parsePresence({ ...base, id: identity.id, key: 'ed25519:xyz' })).toMatchObject({ ok: false, reason: 'bad key' })
  })
})
