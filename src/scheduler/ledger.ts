/**
 * Contribution ledger: tasks and tokens each node contributed, derived from
 * the provenance of accepted results (duplicates and rejected attempts don't
 * count), so every replica computes the same ledger from the same board.
 */
import type { DerivedTask } from './derive'

export interface LedgerRow {
  readonly node: string
  readonly name: string
  readonly tasks: number
  readonly tokens: number
  readonly simulated: boolean
}

export function computeLedger(derived: Iterable<DerivedTask>): LedgerRow[] {
  const rows = new Map<string, { node: string; name: string; tasks: number; tokens: number; simulated: boolean }>()
  for (const d of derived) {
    if (d.superseded || d.task.kind === 'root' || d.status !== 'done' || !d.accepted) continue
    const p = d.accepted.result.provenance
    const row = rows.get(p.node) ?? { node: p.node, name: p.name, tasks: 0, tokens: 0, simulated: false }
    row.tasks++
    row.tokens += p.completionTokens
    row.simulated ||= p.simulated
    rows.set(p.node, row)
  }
  return [...rows.values()].sort((a, b) => b.tokens - a.tokens || b.tasks - a.tasks || a.node.localeCompare(b.node))
}
