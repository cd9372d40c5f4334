/**
 * Token bucket: a peer may spend `capacity` at once (a burst, such as the
 * initial sync) and `refillPerSec` on average. Pure: the caller keeps the
 * state and passes the time.
 */
export interface BucketPolicy {
  readonly capacity: number
  readonly refillPerSec: number
}

export interface BucketState {
  readonly tokens: number
  /** When `tokens` was last computed (ms). */
  readonly at: number
}

export function fullBucket(policy: BucketPolicy, now: number): BucketState {
  return { tokens: policy.capacity, at: now }
}

/** Refills for the time elapsed (a clock going backwards refills nothing), then spends `cost` if there is enough. */
export function takeTokens(state: BucketState, policy: BucketPolicy, cost: number, now: number): { ok: boolean; state: BucketState } {
  const elapsed = Math.max(0, now - state.at)
  const tokens = Math.min(policy.capacity, state.tokens + (elapsed * policy.refillPerSec) / 1000)
  if (cost > tokens) return { ok: false, state: { tokens, at: Math.max(now, state.at) } }
  return { ok: true, state: { tokens: tokens - cost, at: Math.max(now, state.at) } }
}
