/**
 * Every task's derived state, JSON-safe (window.__mindos.derived()): what an
 * e2e test prints when a task does not finish, so a failure on CI says which
 * step waits for what. Nothing in the app reads it.
 */
import type { TaskSnapshot } from '../board/dag-schema'
import { deriveBoard } from './derive'

export interface DerivedDebug {
  readonly id: string
  readonly kind: string
  readonly rootId: string
  readonly status: string
  readonly attempt: number
  readonly maxAttempts: number
  readonly superseded: boolean
  readonly winner: string | null
  readonly contestable: boolean
  readonly outrankable: boolean
  readonly verification: string | null
  readonly failure: string | null
  readonly deps: readonly string[]
  readonly slot: number | null
  readonly ended: readonly string[]
}

export function debugDerived(tasks: readonly TaskSnapshot[]): DerivedDebug[] {
  return [...deriveBoard(tasks).values()].map((d) => ({
    id: d.task.id,
    kind: d.task.kind,
    rootId: d.task.rootId,
    status: d.status,
    attempt: d.attempt,
    maxAttempts: d.task.maxAttempts,
    superseded: d.superseded,
    winner: d.winner ?? null,
    contestable: d.contestable === true,
    outrankable: d.outrankableBy !== undefined,
    verification: d.verification ?? null,
    failure: d.failure ?? null,
    deps: [...d.task.deps],
    slot: d.task.verifies?.slot ?? null,
    ended: (d.authorized?.ended ?? []).map((q) => `${q.attempt}:${q.cause}:${q.by.slice(0, 8)}: ${q.reason}`),
  }))
}
