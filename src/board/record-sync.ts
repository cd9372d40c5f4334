/**
 * The doc side of the signed board: watches `doc.getMap('records')`, verifies
 * every envelope that appears (once per text, cached by EnvelopeVerifier),
 * keeps the valid ones in an index and in the local verified store, and
 * answers hostile edits:
 *  - a valid record deleted from the doc, or overwritten, is put back;
 *  - an invalid value (junk, a broken signature, a record under a key that is
 *    not its address, a replay from another room) is counted against the
 *    client that wrote it, never shown, and removed from the doc, so junk
 *    cannot grow an honest tab's storage for good;
 *  - an older version of a progressive slot (a lease's earlier beat) never
 *    replaces a newer one.
 * On start the store's records are verified again (the origin's storage is
 * only as trustworthy as the origin) and put back into the doc: a reload
 * restores the board whatever the doc says.
 */
import * as Y from 'yjs'
import { createLogger } from '../log'
import type { NodeId } from '../mesh/protocol'
import type { EnvelopeVerifier } from '../trust/envelope-verifier'
import { EnvelopeRejection, isEnvelopeHash, type Envelope, type SignedEnvelope } from '../trust/envelope'
import type { VerifiedStore } from '../trust/verified-store'
import { decodeRecord, isProgressive, parseSlotAddress, progressiveVersion, RECORDS_KEY, type BoardRecord } from './record-codec'
import type { RecordEntry } from './snapshot-build'

const log = createLogger('board')

export interface IndexedRecord extends RecordEntry {
  readonly address: string
  readonly text: string
  readonly envelope: Envelope
}

export interface RejectionRow {
  /** The signer's node id when the record names a valid key, else `client:<Yjs client id>` of whoever wrote it. */
  readonly writer: string
  readonly reasons: Readonly<Record<string, number>>
}

/** Failures that mean "this is garbage for every reader": safe to remove from the doc. */
const REMOVABLE = new Set<string>([
  EnvelopeRejection.notText,
  EnvelopeRejection.tooLarge,
  EnvelopeRejection.notJson,
  EnvelopeRejection.nonCanonical,
  EnvelopeRejection.badShape,
  EnvelopeRejection.badField,
  EnvelopeRejection.badKind,
  EnvelopeRejection.badKey,
  EnvelopeRejection.keyMismatch,
  EnvelopeRejection.badSignature,
  EnvelopeRejection.wrongRoom,
  EnvelopeRejection.wrongAddress,
  'junk-key',
  'bad-record',
])
const MAX_WRITERS = 256

export class RecordSync {
  readonly map: Y.Map<unknown>
  private readonly index = new Map<string, IndexedRecord>()
  private readonly toRepair = new Set<string>()
  private readonly toRemove = new Set<string>()
  private readonly rejected = new Map<string, Map<string, number>>()
  private repairQueued = false
  private repairs = 0
  /** Bumped whenever the index changes; readers memoize on it. */
  version = 0
  readonly ready: Promise<void>

  constructor(
    private readonly doc: Y.Doc,
    private readonly room: string,
    private readonly verifier: EnvelopeVerifier,
    private readonly store: VerifiedStore | null,
    private readonly onIndexChange: () => void,
  ) {
    this.map = doc.getMap(RECORDS_KEY)
    this.map.observe((event, txn) => {
      if (txn.origin === this) return
      for (const key of event.keysChanged) this.inspect(key)
    })
    const initial = [...this.map.keys()].map((key) => this.inspect(key))
    this.ready = Promise.all([...initial, this.restoreFromStore()]).then(() => undefined)
  }

  records(): IterableIterator<IndexedRecord> {
    return this.index.values()
  }

  has(address: string): boolean {
    return this.index.has(address)
  }

  stats(): { records: number; repairs: number } {
    return { records: this.index.size, repairs: this.repairs }
  }

  rejections(): RejectionRow[] {
    return [...this.rejected.entries()].map(([writer, reasons]) => ({ writer, reasons: Object.fromEntries(reasons) }))
  }

  /** Writes records this tab signed, in one transaction (a result and the nodes it creates arrive together). */
  publish(signed: readonly { readonly signed: SignedEnvelope; readonly address: string; readonly record: BoardRecord }[]): void {
    this.doc.transact(() => {
      for (const { signed: s, address, record } of signed) {
        this.map.set(address, s.text)
        this.accept({ address, text: s.text, hash: s.hash, envelope: s.envelope, record })
      }
    }, this)
    this.changed()
  }

  private changed(): void {
    this.version++
    this.onIndexChange()
  }

  /** Looks at what the doc holds under `key` now. Resolves once it has been judged. */
  private async inspect(key: string): Promise<void> {
    const value = this.map.get(key)
    const kept = this.index.get(key)
    if (value === undefined) {
      if (kept) this.queueRepair(key) // deletion is not loss
      return
    }
    if (kept && kept.text === value) return
    const slot = parseSlotAddress(key)
    if (!slot && !isEnvelopeHash(key)) return this.reject(key, 'junk-key', 'a key that is no record address')
    const check = await this.verifier.verify(value, { room: this.room, ...(slot ? {} : { address: key }) })
    if (this.map.get(key) !== value && this.index.get(key)?.text !== value) return // replaced meanwhile: judged on its own
    if (!check.ok) return this.reject(key, check.reason, check.detail)
    const e = check.envelope
    if (slot && (slot.kind !== e.kind || slot.task !== e.task || slot.attempt !== e.attempt || slot.node !== e.node)) {
      return this.reject(key, EnvelopeRejection.wrongAddress, 'a record filed under another record’s slot')
    }
    if (!slot && isProgressive(e.kind)) return this.reject(key, EnvelopeRejection.wrongAddress, 'a progressive record under a hash address')
    const decoded = decodeRecord(e)
    if (!decoded.ok) return this.reject(key, 'bad-record', decoded.reason, e.node)
    const current = this.index.get(key)
    if (current && slot && progressiveVersion(current.envelope) >= progressiveVersion(e)) {
      if (current.text !== value) this.queueRepair(key) // an older (or equal, different) version: keep ours
      return
    }
    this.accept({ address: key, text: value as string, hash: check.hash, envelope: e, record: decoded.record })
    this.changed()
  }

  private accept(r: { address: string; text: string; hash: string; envelope: Envelope; record: BoardRecord }): void {
    const e = r.envelope
    this.index.set(r.address, { ...r, node: e.node, kind: e.kind, task: e.task, attempt: e.attempt })
    this.toRemove.delete(r.address)
    if (!this.store || e.kind === 'partial') return // partials are progress on screen, not worth a disk write per batch
    const verified = { envelope: e, hash: r.address, text: r.text }
    void (isProgressive(e.kind) ? this.store.replace(verified) : this.store.add(verified)).then((outcome) => {
      if (outcome.status === 'write-failed') log.warn(`record ${r.address.slice(0, 16)} is on the board but not kept locally: ${outcome.error.message}`)
    })
  }

  private reject(key: string, reason: string, detail: string, signer?: NodeId): void {
    const writer = signer ?? writerOf(this.map, key)
    let reasons = this.rejected.get(writer)
    if (!reasons) {
      if (this.rejected.size >= MAX_WRITERS) reasons = this.rejected.get('others') ?? new Map()
      else reasons = new Map()
      this.rejected.set(this.rejected.size >= MAX_WRITERS ? 'others' : writer, reasons)
    }
    const first = !reasons.has(reason)
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1)
    if (first) log.warn(`ignoring a board record from ${writer} (${reason}): ${detail.slice(0, 160)}`)
    if (this.index.has(key)) this.queueRepair(key)
    else if (REMOVABLE.has(reason)) this.queueRemoval(key)
    this.changed()
  }

  private queueRepair(key: string): void {
    this.toRepair.add(key)
    this.flushSoon()
  }

  private queueRemoval(key: string): void {
    this.toRemove.add(key)
    this.flushSoon()
  }

  private flushSoon(): void {
    if (this.repairQueued) return
    this.repairQueued = true
    queueMicrotask(() => {
      this.repairQueued = false
      const repair = [...this.toRepair].sort()
      const remove = [...this.toRemove].sort()
      this.toRepair.clear()
      this.toRemove.clear()
      this.doc.transact(() => {
        for (const key of repair) {
          const kept = this.index.get(key)
          if (kept && this.map.get(key) !== kept.text) {
            this.map.set(key, kept.text)
            this.repairs++
          }
        }
        for (const key of remove) if (!this.index.has(key) && this.map.has(key)) this.map.delete(key)
      }, this)
      if (repair.length > 0) log.info(`put back ${repair.length} board record(s) that were deleted or overwritten`)
    })
  }

  private async restoreFromStore(): Promise<void> {
    if (!this.store) return
    const stored = [...this.store.all()]
    let restored = 0
    await Promise.all(
      stored.map(async (s) => {
        const slot = parseSlotAddress(s.hash)
        const check = await this.verifier.verify(s.text, { room: this.room, ...(slot ? {} : { address: s.hash }) })
        if (!check.ok) return void log.warn(`a locally kept record ${s.hash.slice(0, 16)} no longer verifies (${check.reason}); skipped`)
        const decoded = decodeRecord(check.envelope)
        if (!decoded.ok) return
        const current = this.index.get(s.hash)
        if (current && (!slot || progressiveVersion(current.envelope) >= progressiveVersion(check.envelope))) return
        this.index.set(s.hash, { address: s.hash, text: s.text, hash: check.hash, envelope: check.envelope, record: decoded.record, node: check.envelope.node, kind: check.envelope.kind, task: check.envelope.task, attempt: check.envelope.attempt })
        if (this.map.get(s.hash) !== s.text) this.toRepair.add(s.hash)
        restored++
      }),
    )
    if (restored > 0) {
      this.flushSoon()
      this.changed()
    }
  }
}

/** Who last wrote `key`: the Yjs client id of the item now under it (Yjs keeps no author for deletions). */
function writerOf(map: Y.Map<unknown>, key: string): string {
  const item = (map as unknown as { _map: Map<string, { id: { client: number } }> })._map.get(key)
  return item ? `client:${item.id.client}` : 'client:unknown'
}
