/**
 * The page side of the donor control surface. Installed by src/main.ts only
 * when the page was opened by `npm run donor` (`?donor=1`). It adds no way to
 * do anything a person at this tab could not do: submit a task through the
 * Board facade, read derived state, choose roles.
 *
 * Pushes go through a Playwright binding the donor registers before the page
 * loads; each subject is throttled so a streaming synthesizer cannot flood
 * the donor process.
 */
import type { Board } from '../board/board'
import { ALL_ROLES, type Role, type TaskId } from '../board/dag-schema'
import { createLogger } from '../log'
import type { NodeIdentity } from '../mesh/identity'
import type { PeerView } from '../mesh/peer-directory'
import { computeLedger } from '../scheduler/ledger'
import { deriveBoard, type DerivedTask } from '../scheduler/derive'
import { BRIDGE_GLOBAL, BRIDGE_VERSION, EMIT_BINDING, isFinished, type BridgeEvent, type SubmitReply, type TabStatus } from './protocol'
import { taskView } from './task-view'

const log = createLogger('bridge')
const STATUS_THROTTLE_MS = 250
const TASK_THROTTLE_MS = 100

export interface BridgeEngine {
  readonly engine: string
  readonly backend: string
  readonly model: string | null
  readonly simulated: boolean
  readonly state: string
  readonly tokensPerSec: number | null
  readonly progress: { readonly progress: number; readonly text: string; readonly loadedBytes?: number; readonly totalBytes?: number } | null
  readonly lastError: string | null
}

export interface DonorBridgeDeps {
  readonly room: string
  readonly board: Board
  readonly identity: NodeIdentity
  readonly peers: () => readonly PeerView[]
  readonly signaling: () => string
  readonly engine: () => BridgeEngine
  readonly busy: () => boolean
  readonly donor: () => { readonly roles: readonly Role[]; readonly paused: boolean }
  readonly setRoles: (roles: readonly Role[]) => void
  /** Subscribes to anything that changes the status (mesh, engine, slot). Returns its own unsubscribe. */
  readonly onStatusChange: (listener: () => void) => () => void
}

export interface DonorBridge {
  destroy(): void
}

type Emit = (event: BridgeEvent) => unknown

function throttled(ms: number, fn: () => void): { (): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined
  let last = 0
  const run = (): void => {
    timer = undefined
    last = Date.now()
    fn()
  }
  const call = (): void => {
    if (timer !== undefined) return
    timer = setTimeout(run, Math.max(0, last + ms - Date.now()))
  }
  call.cancel = () => clearTimeout(timer)
  return call
}

export function installDonorBridge(deps: DonorBridgeDeps): DonorBridge {
  const emitRaw = (globalThis as Record<string, unknown>)[EMIT_BINDING]
  const emit: Emit = typeof emitRaw === 'function' ? (e) => (emitRaw as Emit)(e) : () => undefined
  if (typeof emitRaw !== 'function') log.warn(`opened with ?donor=1 but no ${EMIT_BINDING} binding: nothing will be pushed`)
  const watched = new Map<string, ReturnType<typeof throttled>>()
  let derivedCache: Map<TaskId, DerivedTask> | null = null
  const derived = (): Map<TaskId, DerivedTask> => (derivedCache ??= deriveBoard(deps.board.snapshot()))

  const status = (): TabStatus => {
    const e = deps.engine()
    const donor = deps.donor()
    const tasksDone = computeLedger(derived().values()).find((r) => r.node === deps.identity.id)?.tasks ?? 0
    return {
      v: BRIDGE_VERSION,
      type: 'status',
      room: deps.room,
      nodeId: deps.identity.id,
      name: deps.identity.name,
      signaling: deps.signaling(),
      peers: deps.peers().map((p) => ({
        id: p.presence.id,
        state: p.presence.state,
        engineState: p.presence.caps.engineState ?? 'unknown',
        roles: [...(p.presence.caps.roles ?? [])],
        simulated: p.presence.caps.simulated === true,
      })),
      engine: e.engine,
      backend: e.backend,
      model: e.model,
      simulated: e.simulated,
      engineState: e.state,
      tokensPerSec: e.tokensPerSec,
      paused: donor.paused,
      busy: deps.busy(),
      roles: [...donor.roles],
      tasksDone,
      progress: e.progress ? { fraction: Math.min(1, Math.max(0, e.progress.progress)), text: e.progress.text.slice(0, 500), ...bytes(e.progress) } : null,
      lastError: e.lastError?.slice(0, 2_000) ?? null,
    }
  }

  const pushStatus = throttled(STATUS_THROTTLE_MS, () => void emit(status()))
  const pushTask = (id: string): void => {
    const view = taskView(derived(), id)
    void emit(view)
    if (isFinished(view.status)) unwatch(id)
  }
  const unwatch = (id: string): void => {
    watched.get(id)?.cancel()
    watched.delete(id)
  }

  const offBoard = deps.board.onChange(() => {
    derivedCache = null
    for (const push of watched.values()) push()
    pushStatus() // tasks done may have changed
  })
  const offStatus = deps.onStatusChange(pushStatus)

  const api = {
    version: BRIDGE_VERSION,
    status,
    submit(prompt: unknown): SubmitReply {
      if (typeof prompt !== 'string') return { ok: false, code: 'BAD_PROMPT', message: 'The prompt must be a string.' }
      try {
        const root = deps.board.submit(prompt, deps.identity)
        return { ok: true, taskId: root.id }
      } catch (err) {
        return { ok: false, code: 'BAD_PROMPT', message: err instanceof Error ? err.message : String(err) }
      }
    },
    /** Starts pushing this task's view; pushes the current one at once. */
    watch(taskId: unknown): boolean {
      if (typeof taskId !== 'string' || taskId.length > 128) return false
      if (!watched.has(taskId)) watched.set(taskId, throttled(TASK_THROTTLE_MS, () => pushTask(taskId)))
      pushTask(taskId)
      return true
    },
    unwatch(taskId: unknown): void {
      if (typeof taskId === 'string') unwatch(taskId)
    },
    configure(opts: unknown): boolean {
      const roles = (opts as { roles?: unknown } | null)?.roles
      if (!Array.isArray(roles) || !roles.every((r) => ALL_ROLES.includes(r as Role))) return false
      deps.setRoles(roles as Role[])
      pushStatus()
      return true
    },
  }
  ;(globalThis as Record<string, unknown>)[BRIDGE_GLOBAL] = api
  pushStatus()
  log.info('donor bridge installed')
  return {
    destroy() {
      offBoard()
      offStatus()
      pushStatus.cancel()
      for (const id of [...watched.keys()]) unwatch(id)
      delete (globalThis as Record<string, unknown>)[BRIDGE_GLOBAL]
    },
  }
}

function bytes(p: { loadedBytes?: number; totalBytes?: number }): { loadedBytes?: number; totalBytes?: number } {
  const ok = (n: number | undefined): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0
  return { ...(ok(p.loadedBytes) ? { loadedBytes: p.loadedBytes } : {}), ...(ok(p.totalBytes) ? { totalBytes: p.totalBytes } : {}) }
}

/** `?donor=1` (or any value but 0/false) marks a page opened by the donor process. */
export function isDonorPage(search: string): boolean {
  const raw = new URLSearchParams(search).get('donor')
  return raw !== null && raw !== '0' && raw !== 'false'
}
