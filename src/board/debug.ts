/**
 * A JSON-safe copy of the board's records, for devtools and e2e checks
 * (window.__mindos.board()): structure, not timing, e.g. "a researcher
 * started step 1 before the planner finished". Nothing in the app reads it.
 */
import type { Board } from './board'

export function debugBoard(board: Board): unknown[] {
  return board.snapshot().map((t) => ({
    id: t.id,
    kind: t.kind,
    rootId: t.rootId,
    origin: t.origin ?? null,
    deps: [...t.deps],
    createdAt: t.createdAt,
    claims: [...t.claims.values()],
    leases: [...t.leases.values()],
    requeues: [...t.requeues.values()],
    results: [...t.results.entries()].map(([key, r]) => ({ key, attempt: r.attempt, verdict: r.verdict ?? null, node: r.provenance.node, startedAt: r.provenance.startedAt, endedAt: r.provenance.endedAt, completionTokens: r.provenance.completionTokens })),
  }))
}

/** Every verified task's records by key, JSON-safe (window.__mindos.records()): what e2e checks read instead of the raw doc. */
export function debugRecords(board: Board): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const t of board.snapshot()) {
    out[t.id] = {
      kind: t.kind,
      rootId: t.rootId,
      claims: Object.fromEntries(t.claims),
      leases: Object.fromEntries(t.leases),
      requeues: Object.fromEntries(t.requeues),
      results: Object.fromEntries([...t.results].map(([k, r]) => [k, { attempt: r.attempt, node: r.provenance.node, verdict: r.verdict ?? null }])),
    }
  }
  return out
}
