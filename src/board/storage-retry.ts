/**
 * Pure policy for board persistence trouble (quota exhausted, write errors):
 * how long to wait before trying again, and what to tell the person. The tab
 * keeps working from memory meanwhile; a retry writes the whole board state
 * at once, so updates that failed to persist are not lost.
 */
export interface RetryPolicy {
  readonly baseMs: number
  readonly maxMs: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 2_000, maxMs: 60_000 }

/** Delay before retry number `failures` (1 = after the first failure): doubling, capped. */
export function retryDelayMs(failures: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number {
  const n = Number.isFinite(failures) ? Math.max(1, Math.floor(failures)) : 1
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 30))
}

export type StorageStatus =
  | { readonly state: 'ok' }
  | { readonly state: 'failing'; readonly message: string; readonly failures: number; readonly retryInMs: number }

/** A message for a person: what went wrong, that nothing is lost yet, and what we do about it. */
export function describeStorageError(err: unknown, retryInMs: number): string {
  const name = typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : 'Error'
  const detail = err instanceof Error || (typeof err === 'object' && err !== null && 'message' in err) ? String((err as { message: unknown }).message) : String(err)
  const retry = `Retrying in ${Math.round(retryInMs / 1000)} s.`
  if (name === 'QuotaExceededError') {
    return `Browser storage is full: the board is not being saved on this device. This tab keeps working from memory and peers still hold the board; free some space (or allow more storage for this site). ${retry}`
  }
  return `Could not save the board to this browser's storage (${name}: ${detail.slice(0, 200)}). This tab keeps working from memory and peers still hold the board. ${retry}`
}
