/**
 * Contribution ledger: tasks and tokens each key contributed, derived from
 * the accepted results of the verified board (duplicates, rejected attempts
 * and records that failed their signature check never count), so every
 * replica computes the same ledger from the same board.
 *
 * Credit is only what any reader can recompute from signed records, never a
 * number a worker reports about itself beyond its accepted result:
 *  - tasks: accepted results whose provenance.node (= the signer, the board
 *    guarantees it) is the key;
 *  - tokens: per accepted result its signed completionTokens, but at most the
 *    UTF-8 bytes of the text it delivered (a token decodes to at least one
 *    byte of output in byte-level tokenizers), so a key cannot inflate its
 *    credit past the work it handed in; retries that produced nothing
 *    accepted earn nothing;
 *  - trust: the key's reputation (reputation.ts), from the same board.
 */
import type { TaskResult } from '../board/dag-schema'
import type { DerivedTask } from './derive'
import { computeReputation, reputationOf, type Reputation } from './reputation'

export interface LedgerRow {
  readonly node: string
  /** The name the key signed on its latest counted result (names are self-chosen: show the fingerprint too). */
  readonly name: string
  readonly tasks: number
  readonly tokens: number
  readonly simulated: boolean
  /** 1 − error rate (reputation.ts). */
  readonly trust: number
  readonly lowTrust: boolean
}

const encoder = new TextEncoder()

/** The tokens a result earns: its own count, bounded by the bytes it delivered. */
export function creditedTokens(result: TaskResult): number {
  return Math.min(result.provenance.completionTokens, encoder.encode(result.text).length)
}

/** `reputation`: from the same board (computeReputation with board.distrusted()); computed here without distrust when absent. */
export function computeLedger(derived: Iterable<DerivedTask>, reputation?: Reputation): LedgerRow[] {
  const list = [...derived]
  const rep = reputation ?? computeReputation(list)
  const rows = new Map<string, { node: string; name: string; nameAt: number; nameTask: string; tasks: number; tokens: number; simulated: boolean }>()
  for (const d of list) {
    if (d.superseded || d.task.kind === 'root' || d.status !== 'done' || !d.accepted) continue
    const p = d.accepted.result.provenance
    const row = rows.get(p.node) ?? { node: p.node, name: p.name, nameAt: p.endedAt, nameTask: d.task.id, tasks: 0, tokens: 0, simulated: false }
    // The latest name wins, decided by record contents (endedAt, then task id), not by the order tasks were read in.
    if (p.endedAt > row.nameAt || (p.endedAt === row.nameAt && d.task.id > row.nameTask)) Object.assign(row, { name: p.name, nameAt: p.endedAt, nameTask: d.task.id })
    row.tasks++
    row.tokens += creditedTokens(d.accepted.result)
    row.simulated ||= p.simulated
    rows.set(p.node, row)
  }
  return [...rows.values()]
    .map(({ node, name, tasks, tokens, simulated }) => {
      const r = reputationOf(rep, node)
      return { node, name, tasks, tokens, simulated, trust: r.trust, lowTrust: r.lowTrust }
    })
    .sort((a, b) => b.tokens - a.tokens || b.tasks - a.tasks || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
}
