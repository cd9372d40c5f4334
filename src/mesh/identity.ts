/**
 * Each tab gets a stable node identity (id + human-readable name) that
 * survives reloads. Tabs of one browser share IndexedDB, so identities are a
 * pool: a tab takes the first stored identity no other live tab holds (Web
 * Locks), or mints a new one. Reloading a tab gets its identity back because
 * the lock is released when the old document goes away.
 */
import type { Random } from '../clock'
import { generateNodeName } from './names'
import type { NodeId } from './protocol'

export interface NodeIdentity {
  readonly id: NodeId
  readonly name: string
  readonly createdAt: number
}

/** Storage side effect (real: IndexedDB via idb; fake: a Map). */
export interface IdentityStore {
  loadAll(): Promise<NodeIdentity[]>
  save(identity: NodeIdentity): Promise<void>
}

/** Cross-tab exclusive holds (real: navigator.locks; fake: a Set). Returns a release function, or null if held elsewhere. */
export interface TabLocks {
  tryHold(name: string): Promise<(() => void) | null>
}

export function newNodeId(random: Random): NodeId {
  let id = ''
  for (let i = 0; i < 16; i++) id += Math.floor(random.next() * 36).toString(36)
  return id as NodeId
}

export async function acquireIdentity(
  store: IdentityStore,
  locks: TabLocks,
  random: Random,
  now: number,
): Promise<{ identity: NodeIdentity; release: () => void }> {
  const pool = (await store.loadAll()).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
  for (const identity of pool) {
    const release = await locks.tryHold(lockName(identity.id))
    if (release) return { identity, release }
  }
  const identity: NodeIdentity = { id: newNodeId(random), name: generateNodeName(random), createdAt: now }
  const release = (await locks.tryHold(lockName(identity.id))) ?? (() => {})
  await store.save(identity)
  return { identity, release }
}

function lockName(id: string): string {
  return `mindos-node-identity:${id}`
}
