/// <reference lib="webworker" />
/**
 * Timer worker: arms setTimeout on behalf of the page (see src/timer-protocol.ts).
 * Invalid requests are logged and dropped.
 */
import { createLogger } from '../src/log'
import { isTimerRequest, TIMER_PROTOCOL_VERSION, type TimerFired } from '../src/timer-protocol'

const log = createLogger('timer')
const scope = self as unknown as DedicatedWorkerGlobalScope
const armed = new Map<number, ReturnType<typeof setTimeout>>()

scope.onmessage = (event: MessageEvent<unknown>) => {
  const msg = event.data
  if (!isTimerRequest(msg)) {
    log.warn('dropped an invalid timer request')
    return
  }
  const old = armed.get(msg.id)
  if (old !== undefined) clearTimeout(old)
  armed.delete(msg.id)
  if (msg.type === 'cancel') return
  armed.set(
    msg.id,
    setTimeout(() => {
      armed.delete(msg.id)
      const fired: TimerFired = { v: TIMER_PROTOCOL_VERSION, type: 'fired', id: msg.id }
      scope.postMessage(fired)
    }, msg.ms),
  )
}
