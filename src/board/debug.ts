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
