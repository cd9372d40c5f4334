/**
 * Wire protocol between the page and workers/timer.worker.ts (version 1).
 * The worker only arms and fires timers: a dedicated worker's timers are not
 * throttled with its hidden page's (1 per second, then once a minute after
 * 5 minutes hidden), so lease beats keep their period in a background tab.
 */
export const TIMER_PROTOCOL_VERSION = 1

export type TimerRequest =
  | { readonly v: 1; readonly type: 'arm'; readonly id: number; readonly ms: number }
  | { readonly v: 1; readonly type: 'cancel'; readonly id: number }

export interface TimerFired {
  readonly v: 1
  readonly type: 'fired'
  readonly id: number
}

const isId = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0

export function isTimerRequest(x: unknown): x is TimerRequest {
  if (typeof x !== 'object' || x === null) return false
  const m = x as Record<string, unknown>
  if (m.v !== TIMER_PROTOCOL_VERSION || !isId(m.id)) return false
  if (m.type === 'cancel') return true
  return m.type === 'arm' && typeof m.ms === 'number' && Number.isFinite(m.ms) && m.ms >= 0
}

export function isTimerFired(x: unknown): x is TimerFired {
  if (typeof x !== 'object' || x === null) return false
  const m = x as Record<string, unknown>
  return m.v === TIMER_PROTOCOL_VERSION && m.type === 'fired' && isId(m.id)
}
