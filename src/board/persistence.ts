/**
 * Local persistence of the board: an independent observer of the Y.Doc, like
 * the mesh. Real: y-indexeddb. Tests that need none simply don't attach one.
 */
import type * as Y from 'yjs'
import { IndexeddbPersistence } from 'y-indexeddb'
import { createLogger } from '../log'

const log = createLogger('board')

export interface BoardPersistence {
  /** Resolves once the stored board has been loaded into the doc. */
  readonly loaded: Promise<void>
  destroy(): Promise<void>
}

export function indexedDbPersistence(storeName: string, doc: Y.Doc): BoardPersistence {
  const provider = new IndexeddbPersistence(storeName, doc)
  const loaded = provider.whenSynced.then(
    () => log.info(`board loaded from IndexedDB (${storeName})`),
    (err: unknown) => log.error(`could not load the board from IndexedDB: ${String(err)}; peers still hold it`),
  )
  return { loaded, destroy: () => provider.destroy() }
}
