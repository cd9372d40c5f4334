/**
 * Local persistence of the board: an independent observer of the Y.Doc, like
 * the mesh. Real: y-indexeddb. Tests that need none simply don't attach one.
 *
 * y-indexeddb writes every update with a promise nobody catches: when the
 * quota is exhausted or a write fails, the update silently never reaches
 * IndexedDB. We take over that write path (its `_storeUpdate` handler, the
 * one y-indexeddb internal touched, in this file only): a failed write is
 * reported (status() / onStatus, shown in the page), further per-update writes
 * pause, and a retry with backoff writes the whole board state at once, so
 * nothing that failed to persist is lost once storage works again.
 */
import * as Y from 'yjs'
import { IndexeddbPersistence } from 'y-indexeddb'
import * as idb from 'lib0/indexeddb'
import type { Clock } from '../clock'
import { createLogger } from '../log'
import { describeStorageError, retryDelayMs, type StorageStatus } from './storage-retry'

const log = createLogger('board')
/** y-indexeddb's PREFERRED_TRIM_SIZE. */
const TRIM_SIZE = 500

export interface BoardPersistence {
  /** Resolves once the stored board has been loaded into the doc. */
  readonly loaded: Promise<void>
  status(): StorageStatus
  /** Fires when the status changes. Returns its own unsubscribe. */
  onStatus(listener: (status: StorageStatus) => void): () => void
  destroy(): Promise<void>
}

/** The y-indexeddb internals we replace (see file comment). */
interface ProviderInternals {
  db: IDBDatabase | null
  /** Updates stored since the last compaction (y-indexeddb counts them on load). */
  _dbsize: number
  _storeUpdate: (update: Uint8Array, origin: unknown) => void
}

export function indexedDbPersistence(storeName: string, doc: Y.Doc, clock: Clock): BoardPersistence {
  const provider = new IndexeddbPersistence(storeName, doc)
  const internals = provider as unknown as ProviderInternals
  let current: StorageStatus = { state: 'ok' }
  let failures = 0
  let cancelRetry: (() => void) | null = null
  let destroyed = false
  const listeners = new Set<(s: StorageStatus) => void>()
  const setStatus = (s: StorageStatus): void => {
    current = s
    for (const l of listeners) l(s)
  }

  const write = (update: Uint8Array): Promise<unknown> => {
    const db = internals.db
    if (!db) return Promise.resolve()
    const [store] = idb.transact(db, ['updates'])
    const done = committed(store!.transaction)
    // lib0 types omit Uint8Array; y-indexeddb stores exactly this. The request itself can
    // succeed and the commit still fail (quota): the transaction reports the failure.
    idb.addAutoKey(store!, update as never).catch(() => {})
    return done
  }
  const failed = (err: unknown): void => {
    if (destroyed) return
    failures++
    const retryInMs = retryDelayMs(failures)
    const message = describeStorageError(err, retryInMs)
    if (failures === 1) log.warn(message)
    setStatus({ state: 'failing', message, failures, retryInMs })
    cancelRetry?.()
    cancelRetry = clock.setTimeout(retry, retryInMs)
  }
  const retry = (): void => {
    cancelRetry = null
    if (destroyed) return
    // The whole state in one update: covers every update that failed meanwhile.
    void safely(() => write(Y.encodeStateAsUpdate(doc))).then((ok) => {
      if (!ok || destroyed) return
      log.info(`saving the board to IndexedDB works again (${storeName})`)
      failures = 0
      setStatus({ state: 'ok' })
    })
  }
  /** Runs a write; false (and the failure handled) when it throws or rejects. */
  const safely = async (run: () => Promise<unknown>): Promise<boolean> => {
    try {
      await run()
      return true
    } catch (err) {
      failed(err)
      return false
    }
  }

  /** Like y-indexeddb's trim: one merged update replaces the many small ones. */
  let compacting = false
  const compact = async (): Promise<void> => {
    const db = internals.db
    if (!db) return
    const [store] = idb.transact(db, ['updates'])
    const done = committed(store!.transaction)
    done.catch(() => {}) // awaited below; a failure before then is not unhandled
    const key = await idb.addAutoKey(store!, Y.encodeStateAsUpdate(doc) as never)
    await idb.del(store!, idb.createIDBKeyRangeUpperBound(key as number, true))
    await done
    internals._dbsize = 1
  }

  doc.off('update', internals._storeUpdate)
  internals._storeUpdate = (update, origin) => {
    if (origin === provider || !internals.db || current.state === 'failing') return
    void safely(() => write(update))
    if (++internals._dbsize >= TRIM_SIZE && !compacting) {
      compacting = true
      void safely(compact).finally(() => (compacting = false))
    }
  }
  doc.on('update', internals._storeUpdate)

  const loaded = provider.whenSynced.then(
    () => log.info(`board loaded from IndexedDB (${storeName})`),
    (err: unknown) => log.error(`could not load the board from IndexedDB: ${String(err)}; peers still hold it`),
  )
  return {
    loaded,
    status: () => current,
    onStatus(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    destroy: () => {
      destroyed = true
      cancelRetry?.()
      return provider.destroy()
    },
  }
}

/** Resolves when the transaction commits; rejects with its error when it aborts (quota exceeded, I/O error). */
function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.addEventListener('complete', () => resolve())
    tx.addEventListener('abort', () => reject(tx.error ?? new DOMException('the IndexedDB transaction was aborted', 'AbortError')))
  })
}
