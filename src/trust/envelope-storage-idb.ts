/** EnvelopeStorage over IndexedDB (idb): one object store, keyed by envelope hash, indexed by room. */
import { openDB, type IDBPDatabase } from 'idb'
import type { EnvelopeStorage, StoredEnvelope } from './verified-store'

const DB_NAME = 'mindos-verified'
const STORE = 'envelopes'

export function indexedDbEnvelopeStorage(dbName = DB_NAME): EnvelopeStorage {
  const db: Promise<IDBPDatabase> = openDB(dbName, 1, {
    upgrade(database) {
      const store = database.createObjectStore(STORE, { keyPath: 'hash' })
      store.createIndex('room', 'room')
    },
  })
  return {
    async loadRoom(room) {
      const rows: unknown[] = await (await db).getAllFromIndex(STORE, 'room', room)
      // Rows are ours, but the origin's storage is shared by every tab: check their shape.
      return rows.filter((r): r is StoredEnvelope => {
        const x = r as StoredEnvelope
        return typeof r === 'object' && r !== null && typeof x.hash === 'string' && typeof x.text === 'string' && typeof x.key === 'string' && x.room === room && typeof x.seenAt === 'number'
      })
    },
    async put(record) {
      // Rejects with a DOMException named QuotaExceededError when the origin is out of space.
      await (await db).put(STORE, record)
    },
    close() {
      void db.then((d) => d.close())
    },
  }
}
