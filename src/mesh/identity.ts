/**
 * Each tab gets a stable node identity that survives reloads: a signing key
 * pair, a node id derived from the public key (src/trust/keys.ts), and a
 * human-readable name. Tabs of one browser share IndexedDB, so identities are
 * a pool: a tab takes the first stored identity no other live tab holds (Web
 * Locks), or mints a new one. Reloading a tab gets its identity back because
 * the lock is released when the old document goes away.
 *
 * Identities stored before keys existed (or whose key is unusable) are
 * migrated: a new key pair and so a new node id, same name, and the log says
 * so. Where WebCrypto is unavailable (a page outside a secure context) the
 * tab still joins, with an unsigned identity that cannot sign records.
 */
import type { Random } from '../clock'
import { createLogger } from '../log'
import { nodeIdFromKeyId, type KeyId, type KeyVault, type Signer } from '../trust/keys'
import { generateNodeName } from './names'
import type { NodeId } from './protocol'

const log = createLogger('mesh')

export interface NodeIdentity {
  readonly id: NodeId
  readonly name: string
  readonly createdAt: number
}

/** The identity this tab runs as. `keyId`/`signer` are null only without WebCrypto. */
export interface SigningIdentity extends NodeIdentity {
  readonly keyId: KeyId | null
  readonly signer: Signer | null
}

/** What the identity store keeps. `keys` is opaque KeyVault material (a CryptoKeyPair for WebCrypto). */
export interface StoredIdentity extends NodeIdentity {
  readonly keys?: unknown
}

/** Storage side effect (real: IndexedDB via idb; fake: a Map). */
export interface IdentityStore {
  loadAll(): Promise<StoredIdentity[]>
  save(identity: StoredIdentity): Promise<void>
  remove(id: NodeId): Promise<void>
}

/** Cross-tab exclusive holds (real: navigator.locks; fake: a Set). Returns a release function, or null if held elsewhere. */
export interface TabLocks {
  tryHold(name: string): Promise<(() => void) | null>
}

/** Random ids for unsigned identities only (no WebCrypto); signed ones derive theirs from the key. */
export function newNodeId(random: Random): NodeId {
  let id = ''
  for (let i = 0; i < 16; i++) id += Math.floor(random.next() * 36).toString(36)
  return id as NodeId
}

export interface AcquiredIdentity {
  readonly identity: SigningIdentity
  readonly release: () => void
  /** Set when a stored identity had to get a new key, and so a new id. */
  readonly migratedFrom?: NodeId
}

export async function acquireIdentity(store: IdentityStore, locks: TabLocks, vault: KeyVault, random: Random, now: number): Promise<AcquiredIdentity> {
  const pool = (await store.loadAll()).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
  for (const stored of pool) {
    const release = await locks.tryHold(lockName(stored.id))
    if (!release) continue
    const signer = await vault.open(stored.keys).catch(() => null)
    if (signer && nodeIdFromKeyId(signer.keyId) === stored.id) {
      return { identity: { id: stored.id, name: stored.name, createdAt: stored.createdAt, keyId: signer.keyId, signer }, release }
    }
    const minted = await mint(vault)
    if (!minted) return { identity: { id: stored.id, name: stored.name, createdAt: stored.createdAt, keyId: null, signer: null }, release }
    const identity = await keep(store, locks, { ...minted, name: stored.name, createdAt: stored.createdAt })
    await store.remove(stored.id).catch(() => undefined) // a leftover old record only costs a pool slot
    release()
    log.info(`node identity "${stored.name}" now has a signing key: its node id changed from ${stored.id} to ${identity.identity.id}`)
    return { ...identity, migratedFrom: stored.id }
  }
  const minted = await mint(vault)
  const name = generateNodeName(random)
  if (!minted) {
    const identity: SigningIdentity = { id: newNodeId(random), name, createdAt: now, keyId: null, signer: null }
    const release = (await locks.tryHold(lockName(identity.id))) ?? (() => {})
    await store.save({ id: identity.id, name, createdAt: now })
    return { identity, release }
  }
  return keep(store, locks, { ...minted, name, createdAt: now })
}

async function mint(vault: KeyVault): Promise<{ signer: Signer; material: unknown } | null> {
  try {
    return await vault.mint()
  } catch (err) {
    log.warn(`this tab cannot sign records (${String(err)}); it joins with an unsigned identity`)
    return null
  }
}

async function keep(store: IdentityStore, locks: TabLocks, m: { signer: Signer; material: unknown; name: string; createdAt: number }): Promise<AcquiredIdentity> {
  const id = nodeIdFromKeyId(m.signer.keyId)
  const release = (await locks.tryHold(lockName(id))) ?? (() => {})
  await store.save({ id, name: m.name, createdAt: m.createdAt, keys: m.material })
  return { identity: { id, name: m.name, createdAt: m.createdAt, keyId: m.signer.keyId, signer: m.signer }, release }
}

function lockName(id: string): string {
  return `mindos-node-identity:${id}`
}
