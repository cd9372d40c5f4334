/**
 * Logging for dropped frames and closed connections that a flood cannot turn
 * into a log flood: one token bucket shared by the whole server (per-connection
 * buckets would let 64 connections log 64× as much). Lines that do not fit are
 * counted, and the next line that does reports how many were suppressed.
 */
import type { Logger } from '../src/log'
import { TokenBucket } from './limits'

export interface RateLimitedLogOptions {
  readonly linesPerSecond?: number
  readonly burst?: number
}

export class RateLimitedLog {
  private readonly bucket: TokenBucket
  private suppressed = 0

  constructor(
    private readonly logger: Logger,
    now: () => number,
    { linesPerSecond = 2, burst = 20 }: RateLimitedLogOptions = {},
  ) {
    this.bucket = new TokenBucket(burst, linesPerSecond, now)
  }

  /** Logs at warn level if the budget allows; returns whether the line was written. */
  warn(message: string, data: Record<string, unknown> = {}): boolean {
    if (!this.bucket.tryTake()) {
      this.suppressed++
      return false
    }
    const suppressed = this.suppressed
    this.suppressed = 0
    this.logger.warn(message, suppressed > 0 ? { ...data, suppressedSinceLastLine: suppressed } : data)
    return true
  }

  /** Lines swallowed since the last one written (exposed for tests). */
  get suppressedCount(): number {
    return this.suppressed
  }
}
