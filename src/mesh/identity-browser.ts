/** Real IdentityStore (IndexedDB through idb) and TabLocks (Web Locks API). */
import { openDB } from 'idb'
import { createLogger } from '../log'
import type { IdentityStore, StoredIdentity, TabLocks } from './identity'
import { isNodeId } from './protocol'

const log = createLogger('mesh')
const DB_NAME = 'mindos-node'
const STORE = 'identities'

export function indexedDbIdentityStore(): IdentityStore {
  const db = openDB(DB_NAME, 1, {
    upgrade(database) {
      database.createObjectStore(STORE, { keyPath: 'id' })
    },
  })
  return {
    async loadAll() {
      const rows: unknown[] = await (await db).getAll(STORE)
      // Rows from before signing keys have no `keys`: acquireIdentity migrates them.
      return rows.filter((r): r is StoredIdentity => {
        const ok = typeof r === 'object' && r !== null && isNodeId((r as StoredIdentity).id) && typeof (r as StoredIdentity).name === 'string' && typeof (r as StoredIdentity).createdAt === 'number'
        if (!ok) log.warn('ignoring a corrupt stored identity')
        return ok
      })
    },
    async save(identity) {
      // The CryptoKeyPair in `keys` is stored by structured clone; its private half stays non-extractable.
      await (await db).put(STORE, identity)
    },
    async remove(id) {
      await (await db).delete(STORE, id)
    },
  }
}

export function webLocks(): TabLocks {
  return {
    tryHold(name) {
      if (!('locks' in navigator)) return Promise.resolve(() => {})
      return new Promise((resolve) => {
        void navigator.locks.request(name, { ifAvailable: true }, (lock) => {
          if (!lock) {
            resolve(null)
            return undefined
          }
          // Holding the lock = keeping this promise pending until release (or the tab goes away).
          return new Promise<void>((release) => resolve(() => release()))
        })
      })
    },
  }
}

/** When storage is unavailable (private mode, full disk) the tab still joins with a session-only identity. */
export function memoryIdentityStore(): IdentityStore {
  const items = new Map<string, StoredIdentity>()
  return {
    loadAll: async () => [...items.values()],
    save: async (identity) => void items.set(identity.id, identity),
    remove: async (id) => void items.delete(id),
  }
}
