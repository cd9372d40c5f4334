/**
 * What the swarm panel lists under "Rejected": per writer, the records the
 * board refused (board.rejections(), signed-board contract) merged with the
 * messages the transport caps refused (mesh.rejections()), plus every key
 * the board distrusts. Pure, so it is unit-tested without a DOM.
 *
 * A writer without presence still appears: a hostile client built from stock
 * yjs publishes none. It is labelled unknown and named by what identifies it:
 * its signer key's fingerprint, its Yjs client id, or its mesh peer id.
 * Every string here may be peer-written (names, reasons): render as text only.
 */
import type { PeerRejectionView } from '../mesh/mesh-adapter'
import { fingerprint } from './signer'

/** board.rejections() rows (RejectionRow in the signed-board contract); structural, so the board's own type fits. */
export interface BoardRejection {
  /** Signer node id, or 'client:<yjs clientID>' when nothing valid identifies the writer. */
  readonly writer: string
  readonly reasons: Readonly<Record<string, number>>
}

export interface RejectionReason {
  readonly reason: string
  readonly count: number
  /** record: the board refused a record; transport: the mesh refused a message before y-webrtc saw it. */
  readonly layer: 'record' | 'transport'
}

export interface RejectionEntry {
  /** Stable: the node id, 'client:<id>' or 'mesh:<peer id>'. */
  readonly id: string
  readonly node: string | null
  /** Presence name, or UNKNOWN_WRITER. */
  readonly label: string
  /** Has presence in the swarm now (or is this tab). */
  readonly known: boolean
  /** "key abcd1234", "client 123456" or "mesh peer 5f3c…": what identifies it. */
  readonly identifiedBy: string
  readonly total: number
  readonly reasons: readonly RejectionReason[]
  /** Why the board distrusts this key for good (equivocation), if it does. */
  readonly distrusted: string | null
  /** The transport has cut this source off for now. */
  readonly cutOff: boolean
  /** The transport's last detail for this source, if any. */
  readonly lastDetail: string | null
}

export interface RejectionInput {
  readonly board: readonly BoardRejection[]
  readonly transport: readonly PeerRejectionView[]
  readonly distrusted: ReadonlyMap<string, string>
  /** node id → presence name, for the peers in the swarm now and this tab. */
  readonly names: ReadonlyMap<string, string>
  readonly now: number
}

export const UNKNOWN_WRITER = 'unknown (no presence)'
export const MAX_ENTRIES = 40
const MAX_REASONS = 8
const MAX_TEXT = 80
const CLIENT_PREFIX = 'client:'

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0)
const clip = (s: string): string => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s)

interface Draft {
  id: string
  node: string | null
  identifiedBy: string
  reasons: Map<string, RejectionReason>
  distrusted: string | null
  cutOff: boolean
  lastDetail: string | null
}

/** Entries, most rejected first (ties by id), capped at MAX_ENTRIES; `more` counts the ones left out. */
export function rejectionEntries(input: RejectionInput): { entries: RejectionEntry[]; more: number } {
  const drafts = new Map<string, Draft>()
  const draft = (id: string, node: string | null, identifiedBy: string): Draft => {
    let d = drafts.get(id)
    if (!d) drafts.set(id, (d = { id, node, identifiedBy, reasons: new Map(), distrusted: null, cutOff: false, lastDetail: null }))
    return d
  }
  const forNode = (node: string): Draft => draft(node, node, `key ${fingerprint(node)}`)
  const add = (d: Draft, reason: string, n: number, layer: RejectionReason['layer']): void => {
    if (n === 0) return
    const key = `${layer}\0${reason}`
    const seen = d.reasons.get(key)
    d.reasons.set(key, { reason: clip(reason), layer, count: (seen?.count ?? 0) + n })
  }

  for (const row of input.board) {
    if (typeof row.writer !== 'string' || row.writer === '') continue
    const d = row.writer.startsWith(CLIENT_PREFIX)
      ? draft(clip(row.writer), null, `client ${clip(row.writer.slice(CLIENT_PREFIX.length))}`)
      : forNode(clip(row.writer))
    for (const [reason, n] of Object.entries(row.reasons ?? {})) add(d, reason, count(n), 'record')
  }
  for (const r of input.transport) {
    const d = r.node ? forNode(r.node) : draft(`mesh:${clip(r.source)}`, null, `mesh peer ${clip(r.source).slice(0, 12)}`)
    for (const [reason, n] of Object.entries(r.byReason)) add(d, reason, count(n), 'transport')
    if (r.distrustedUntil !== null && r.distrustedUntil > input.now) d.cutOff = true
    if (r.lastDetail) d.lastDetail = clip(r.lastDetail)
  }
  for (const [node, why] of input.distrusted) forNode(clip(node)).distrusted = clip(why)

  const entries = [...drafts.values()].map((d): RejectionEntry => {
    const name = d.node !== null ? input.names.get(d.node) : undefined
    const reasons = [...d.reasons.values()].sort((a, b) => b.count - a.count || cmp(a.layer, b.layer) || cmp(a.reason, b.reason))
    const shown = reasons.slice(0, MAX_REASONS)
    const rest = reasons.slice(MAX_REASONS).reduce((s, r) => s + r.count, 0)
    return {
      id: d.id,
      node: d.node,
      label: name !== undefined ? clip(name) : UNKNOWN_WRITER,
      known: name !== undefined,
      identifiedBy: d.identifiedBy,
      total: reasons.reduce((s, r) => s + r.count, 0),
      reasons: rest > 0 ? [...shown, { reason: 'other reasons', count: rest, layer: shown[shown.length - 1]!.layer }] : shown,
      distrusted: d.distrusted,
      cutOff: d.cutOff,
      lastDetail: d.lastDetail,
    }
  })
  entries.sort((a, b) => Number(b.distrusted !== null) - Number(a.distrusted !== null) || b.total - a.total || cmp(a.id, b.id))
  return { entries: entries.slice(0, MAX_ENTRIES), more: Math.max(0, entries.length - MAX_ENTRIES) }
}
