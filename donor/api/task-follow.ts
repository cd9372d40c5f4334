/**
 * Following one task for one request: resolves with its final view, calls
 * back on every view before that, and gives up after the request's timeout
 * (504; the task stays on the board and the swarm finishes it anyway).
 */
import type { Clock } from '../../src/clock'
import { isFinished, type TaskView } from '../../src/bridge/protocol'
import type { SwarmGateway } from './gateway'
import { ApiError } from './openai-protocol'

export interface Follow {
  readonly done: Promise<TaskView>
  /** Stops following (client went away); `done` then never settles. */
  cancel(): void
}

export function followTask(gateway: SwarmGateway, clock: Clock, taskId: string, timeoutMs: number, onView: (v: TaskView) => void): Follow {
  let settle: { resolve: (v: TaskView) => void; reject: (e: unknown) => void } | undefined
  const done = new Promise<TaskView>((resolve, reject) => (settle = { resolve, reject }))
  let finished = false
  const finish = (): void => {
    finished = true
    unwatch()
    cancelTimer()
  }
  const cancelTimer = clock.setTimeout(() => {
    if (finished) return
    finish()
    settle!.reject(new ApiError(504, 'timeout_error', 'timeout', `The swarm did not answer within ${Math.round(timeoutMs / 1000)} s. The task ${taskId} stays on the board and will still be answered there.`))
  }, timeoutMs)
  const unwatch = gateway.watch(taskId, (view) => {
    if (finished || view.taskId !== taskId) return
    if (isFinished(view.status)) {
      finish()
      settle!.resolve(view)
    } else onView(view)
  })
  return { done, cancel: finish }
}

/** Pure: what to stream next, given what was sent and the text now known. Trailing whitespace is held back (the answer is trimmed). */
export function nextDelta(sent: string, text: string): { readonly delta: string } | { readonly diverged: true } {
  const upTo = text.trimEnd()
  if (!upTo.startsWith(sent)) return { diverged: true }
  return { delta: upTo.slice(sent.length) }
}

/** A failed task, in OpenAI's error shape; the reason comes from the board. */
export function taskFailed(view: TaskView): ApiError {
  return new ApiError(502, 'server_error', 'task_failed', `The swarm could not answer task ${view.taskId}: ${view.failure ?? 'unknown reason'}`)
}
