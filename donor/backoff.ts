/**
 * Pure restart policy for donor tabs: exponential backoff from 1 s, capped
 * at a minute, so a tab that crashes at once (bad model, broken GPU driver)
 * doesn't spin, and a tab that ran fine for a while comes back quickly.
 */
export const FIRST_DELAY_MS = 1_000
export const MAX_DELAY_MS = 60_000
/** A tab that stayed up this long before dying starts its backoff afresh. */
export const STABLE_AFTER_MS = 60_000

/** Delay before the restart that follows the n-th consecutive failure (n ≥ 1). */
export function restartDelayMs(consecutiveFailures: number): number {
  const n = Math.max(1, Math.floor(consecutiveFailures))
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(n - 1, 30))
}
