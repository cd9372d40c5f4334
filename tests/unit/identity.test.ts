import { describe, expect, it } from 'vitest'
import { acquireIdentity, type IdentityStore, type NodeIdentity, type TabLocks } from '../../src/mesh/identity'
import { seededRandom } from '../../src/clock'
import { isNodeId } from '../../src/mesh/protocol'

/** Fakes of the storage and lock side effects. */
function fakeStore(): IdentityStore & { items: Map<string, NodeIdentity> } {
  const items = new Map<string, NodeIdentity>()
  return { items, loadAll: async () => [...items.values()], save: async (i) => void items.set(i.id, i) }
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

describe('acquireIdentity', () => {
  it('mints a valid, named identity and keeps it across reloads', async () => {
    const store = fakeStore()
    const locks = fakeLocks()
    const first = await acquireIdentity(store, locks, seededRandom(1), 10)
    expect(isNodeId(first.identity.id)).toBe(true)
    expect(first.identity.name).toMatch(/^[a-z]+-[a-z]+$/)
    first.release() // the tab reloads
    const again = await acquireIdentity(store, locks, seededRandom(2), 20)
    expect(again.identity).toEqual(first.identity)
  })

  it('gives a second live tab of the same browser its own identity', async () => {
    const store = fakeStore()
    const locks = fakeLocks()
    const a = await acquireIdentity(store, locks, seededRandom(1), 10)
    const b = await acquireIdentity(store, locks, seededRandom(2), 20)
    expect(b.identity.id).not.toBe(a.identity.id)
    expect(store.items.size).toBe(2)
    a.release()
    b.release()
    const c = await acquireIdentity(store, locks, seededRandom(3), 30)
    expect(c.identity.id).toBe(a.identity.id) // oldest free identity first
  })
})
