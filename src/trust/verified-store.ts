/**
 * The local verified store: every valid envelope this tab has seen, keyed by
 * its hash, so deleting or overwriting a record in the shared doc does not
 * lose it: the tab can put it back (`missingFromDoc`), and a reload restores
 * from here whatever the doc says. Only envelopes that passed
 * EnvelopeVerifier are added; the store does not check signatures itself.
 *
 * Bounded per signer: one key cannot grow an honest tab's storage without
 * bound (per-key count and bytes), and the whole store has a ceiling. Over a
 * quota, new envelopes are refused (never old ones evicted: those are what
 * the board relies on) and the log says which key hit which limit, once.
 * A failing write comes back as a VerifiedStoreError outcome, never a throw.
 * What is loaded back after a reload is only as trustworthy as the origin's
 * storage: readers pass it through EnvelopeVerifier again, like doc records.
 *
 * Storage sits behind EnvelopeStorage: IndexedDB in the app
 * (envelope-storage-idb.ts), memory for session-only tabs and tests.
 */
import { VerifiedStoreError } from '../errors'
import { createLogger } from '../log'
import type { Envelope } from './envelope'
import type { KeyId } from './keys'

const log = createLogger('trust')

export interface StoredEnvelope {
  readonly hash: string
  readonly room: string
  readonly key: KeyId
  /** The canonical wire text, exactly as verified. */
  readonly text: string
  readonly seenAt: number
}

/** Storage side effect. Implementations reject on failure; VerifiedStore turns that into data. */
export interface EnvelopeStorage {
  loadRoom(room: string): Promise<StoredEnvelope[]>
  put(record: StoredEnvelope): Promise<void>
  close(): void
}

export interface StoreQuota {
  readonly perKeyCount: number
  /** Characters of envelope text per key (≈ bytes for the ASCII-heavy JSON). */
  readonly perKeyChars: number
  readonly totalChars: number
}

/**
 * A busy honest node writes a handful of records per task (claim, lease
 * renewals, partial batches, result, verdicts): 20,000 records and 32 Mi
 * characters per key covers thousands of tasks; 256 Mi characters in all
 * stays far below browser storage quotas.
 */
export const DEFAULT_STORE_QUOTA: StoreQuota = { perKeyCount: 20_000, perKeyChars: 32 * 1024 * 1024, totalChars: 256 * 1024 * 1024 }

export type AddOutcome =
  | { readonly status: 'added' | 'known' }
  | { readonly status: 'over-key-quota' | 'over-total-quota'; readonly detail: string }
  | { readonly status: 'write-failed'; readonly error: VerifiedStoreError }

interface Usage {
  count: number
  chars: number
}

export class VerifiedStore {
  private readonly records = new Map<string, StoredEnvelope>()
  private readonly usage = new Map<KeyId, Usage>()
  private readonly pending = new Map<string, Promise<AddOutcome>>()
  private readonly warnedKeys = new Set<KeyId>()
  private totalChars = 0
  private warnedTotal = false

  private constructor(
    private readonly storage: EnvelopeStorage,
    readonly room: string,
    private readonly quota: StoreQuota,
    private readonly now: () => number,
  ) {}

  /** Loads what this tab kept for `room`. A storage that cannot be read starts empty, with a warning. */
  static async open(storage: EnvelopeStorage, room: string, opts: { quota?: StoreQuota; now?: () => number } = {}): Promise<VerifiedStore> {
    const store = new VerifiedStore(storage, room, opts.quota ?? DEFAULT_STORE_QUOTA, opts.now ?? Date.now)
    try {
      for (const r of await storage.loadRoom(room)) if (r.room === room && !store.records.has(r.hash)) store.account(r)
    } catch (err) {
      log.warn(`could not read the verified store for room ${room} (${String(err)}); starting empty`)
    }
    return store
  }

  has(hash: string): boolean {
    return this.records.has(hash)
  }

  get(hash: string): StoredEnvelope | undefined {
    return this.records.get(hash)
  }

  hashes(): ReadonlySet<string> {
    return new Set(this.records.keys())
  }

  all(): IterableIterator<StoredEnvelope> {
    return this.records.values()
  }

  usageOf(key: KeyId): { count: number; chars: number } {
    const u = this.usage.get(key)
    return { count: u?.count ?? 0, chars: u?.chars ?? 0 }
  }

  /** Keeps a verified envelope. `text` must be the exact text that was verified, `hash` its address. */
  add(verified: { readonly envelope: Envelope; readonly hash: string; readonly text: string }): Promise<AddOutcome> {
    const { envelope, hash, text } = verified
    const running = this.pending.get(hash) // the same envelope is being written: share its outcome
    if (running) return running
    if (this.records.has(hash)) return Promise.resolve({ status: 'known' })
    if (envelope.room !== this.room) return Promise.resolve({ status: 'write-failed', error: new VerifiedStoreError('WRITE_FAILED', `envelope for room ${envelope.room} offered to the store of room ${this.room}`) })
    const refused = this.checkQuota(envelope.key, text.length)
    if (refused) return Promise.resolve(refused)
    const record: StoredEnvelope = { hash, room: this.room, key: envelope.key, text, seenAt: this.now() }
    // Counted while the write runs, so concurrent adds cannot overshoot a quota together.
    this.account(record)
    const p = this.storage.put(record).then(
      (): AddOutcome => ({ status: 'added' }),
      (err: unknown): AddOutcome => {
        this.unaccount(record)
        const quota = err instanceof Error && err.name === 'QuotaExceededError'
        const error = new VerifiedStoreError(quota ? 'QUOTA_EXCEEDED' : 'WRITE_FAILED', `could not keep envelope ${hash.slice(0, 12)}: ${String(err)}`)
        log.warn(error.message)
        return { status: 'write-failed', error }
      },
    )
    this.pending.set(hash, p)
    void p.then(() => this.pending.delete(hash))
    return p
  }

  /**
   * Keeps the newest version of a progressive record (a lease's latest beat)
   * under its slot address, `hash` here, replacing the version kept before:
   * a beat a second must not pile up. The caller decides what is newer.
   */
  replace(verified: { readonly envelope: Envelope; readonly hash: string; readonly text: string }): Promise<AddOutcome> {
    const old = this.records.get(verified.hash)
    if (!old) return this.add(verified)
    if (old.text === verified.text) return Promise.resolve({ status: 'known' })
    if (this.pending.has(verified.hash)) return this.pending.get(verified.hash)!.then(() => this.replace(verified))
    this.unaccount(old)
    const p = this.add(verified).then((outcome) => {
      if (outcome.status !== 'added' && !this.records.has(old.hash)) this.account(old)
      return outcome
    })
    return p
  }

  private checkQuota(key: KeyId, chars: number): AddOutcome | null {
    const u = this.usage.get(key) ?? { count: 0, chars: 0 }
    if (u.count + 1 > this.quota.perKeyCount || u.chars + chars > this.quota.perKeyChars) {
      const detail = `key ${key.slice(0, 20)}… already has ${u.count} records (${u.chars} characters) here; the limit is ${this.quota.perKeyCount} records / ${this.quota.perKeyChars} characters per key`
      if (!this.warnedKeys.has(key)) {
        this.warnedKeys.add(key)
        log.warn(`verified store: ${detail}; further records from this key are not kept`)
      }
      return { status: 'over-key-quota', detail }
    }
    if (this.totalChars + chars > this.quota.totalChars) {
      const detail = `the store for room ${this.room} holds ${this.totalChars} characters; the limit is ${this.quota.totalChars}`
      if (!this.warnedTotal) {
        this.warnedTotal = true
        log.warn(`verified store: ${detail}; new records are not kept`)
      }
      return { status: 'over-total-quota', detail }
    }
    return null
  }

  private account(r: StoredEnvelope): void {
    this.records.set(r.hash, r)
    const u = this.usage.get(r.key) ?? { count: 0, chars: 0 }
    this.usage.set(r.key, { count: u.count + 1, chars: u.chars + r.text.length })
    this.totalChars += r.text.length
  }

  private unaccount(r: StoredEnvelope): void {
    this.records.delete(r.hash)
    const u = this.usage.get(r.key)
    if (u) this.usage.set(r.key, { count: u.count - 1, chars: u.chars - r.text.length })
    this.totalChars -= r.text.length
  }
}

/**
 * "Put back what was deleted": the hashes this tab holds that the doc no
 * longer has (deleted, or overwritten, since an overwrite changes what sits
 * under the key). Sorted, so every tab repairs in the same order.
 */
export function missingFromDoc(storeHashes: Iterable<string>, docHashes: ReadonlySet<string>): string[] {
  const missing: string[] = []
  for (const h of storeHashes) if (!docHashes.has(h)) missing.push(h)
  return missing.sort()
}

/** Session-only storage (private mode, storage errors) and the reference for the contract tests. */
export function memoryEnvelopeStorage(): EnvelopeStorage {
  const rows = new Map<string, StoredEnvelope>()
  return {
    loadRoom: async (room) => [...rows.values()].filter((r) => r.room === room),
    put: async (r) => void rows.set(r.hash, r),
    close: () => {},
  }
}
