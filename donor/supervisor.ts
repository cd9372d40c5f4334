/**
 * Keeps N donor tabs running: starts them, restarts any whose browser dies
 * (with exponential backoff, logged), stops them all on request. It is also
 * the API's gateway into the swarm: submit through any tab that is up, and
 * follow a task from whichever tab is up, moving the watch when a tab dies.
 */
import path from 'node:path'
import type { Clock } from '../src/clock'
import { createLogger } from '../src/log'
import type { SubmitReply, TabStatus, TaskView } from '../src/bridge/protocol'
import type { SwarmGateway } from './api/gateway'
import { restartDelayMs, STABLE_AFTER_MS } from './backoff'
import { DonorTab, type TabConfig, type TabEvents } from './tab'

/** What the supervisor needs of a tab: DonorTab, or a fake in unit tests. */
export interface TabHandle {
  open(): Promise<void>
  close(): Promise<void>
  submit(prompt: string): Promise<SubmitReply>
  watch(taskId: string): Promise<void>
  unwatch(taskId: string): Promise<void>
  pid(): number | null
}

export type TabFactory = (label: string, cfg: TabConfig, events: TabEvents) => TabHandle

const log = createLogger('donor')

export type SlotState = 'starting' | 'up' | 'restarting' | 'stopped'

export interface SlotView {
  readonly index: number
  readonly state: SlotState
  readonly status: TabStatus | null
  readonly restarts: number
  readonly pid: number | null
  readonly note: string | null
}

interface Slot {
  readonly index: number
  state: SlotState
  tab: TabHandle | null
  status: TabStatus | null
  restarts: number
  failures: number
  upSince: number
  note: string | null
  cancelRestart: (() => void) | null
}

export interface SupervisorOptions {
  readonly tabs: number
  readonly room: string
  readonly dataDir: string
  readonly tab: Omit<TabConfig, 'profileDir'>
  readonly clock: Clock
  /** Default: a real headless Chromium (DonorTab). */
  readonly createTab?: TabFactory
}

export class Supervisor implements SwarmGateway {
  readonly room: string
  private readonly slots: Slot[]
  private readonly listeners = new Set<() => void>()
  private readonly watchers = new Map<string, Set<(v: TaskView) => void>>()
  private readonly watchedOn = new Map<string, number>() // task id → slot index
  private readonly submittedOn = new Map<string, number>() // task id → the tab it was submitted through
  private stopping = false
  private nextSubmit = 0

  constructor(private readonly opts: SupervisorOptions) {
    this.room = opts.room
    this.slots = Array.from({ length: opts.tabs }, (_, index) => ({ index, state: 'starting' as SlotState, tab: null, status: null, restarts: 0, failures: 0, upSince: 0, note: null, cancelRestart: null }))
  }

  /** Profile folder of tab i: its IndexedDB identity, board replica and model cache live here. */
  profileDir(index: number): string {
    return path.join(this.opts.dataDir, `tab-${index + 1}`)
  }

  start(): void {
    for (const slot of this.slots) void this.launch(slot)
  }

  views(): SlotView[] {
    return this.slots.map((s) => ({ index: s.index, state: s.state, status: s.status, restarts: s.restarts, pid: s.tab?.pid() ?? null, note: s.note }))
  }

  /** Fires on any change of a slot (state or status). Returns its own unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  statuses(): TabStatus[] {
    return this.slots.filter((s) => s.state === 'up' && s.status).map((s) => s.status!)
  }

  async submit(prompt: string): Promise<SubmitReply> {
    const up = this.slots.filter((s) => s.state === 'up' && s.tab)
    if (up.length === 0) return { ok: false, code: 'NOT_READY', message: 'No donor tab is up right now (starting or restarting).' }
    const slot = up[this.nextSubmit++ % up.length]!
    const reply = await slot.tab!.submit(prompt)
    if (reply.ok) this.submittedOn.set(reply.taskId, slot.index)
    return reply
  }

  watch(taskId: string, listener: (v: TaskView) => void): () => void {
    let set = this.watchers.get(taskId)
    if (!set) this.watchers.set(taskId, (set = new Set()))
    set.add(listener)
    this.assignWatch(taskId)
    return () => {
      set.delete(listener)
      if (set.size > 0) return
      this.watchers.delete(taskId)
      this.submittedOn.delete(taskId)
      const at = this.watchedOn.get(taskId)
      this.watchedOn.delete(taskId)
      if (at !== undefined) void this.slots[at]?.tab?.unwatch(taskId)
    }
  }

  async stop(): Promise<void> {
    this.stopping = true
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.cancelRestart?.()
        slot.state = 'stopped'
        await slot.tab?.close()
        slot.tab = null
      }),
    )
    this.changed()
  }

  private async launch(slot: Slot): Promise<void> {
    if (this.stopping) return
    slot.state = slot.restarts > 0 ? 'restarting' : 'starting'
    slot.status = null
    this.changed()
    const create: TabFactory = this.opts.createTab ?? ((label, cfg, events) => new DonorTab(label, cfg, events))
    const tab = create(`tab ${slot.index + 1}`, { ...this.opts.tab, profileDir: this.profileDir(slot.index) }, {
      onStatus: (status) => {
        if (slot.tab !== tab) return
        slot.status = status
        this.changed()
      },
      onTask: (view) => {
        for (const l of this.watchers.get(view.taskId) ?? []) l(view)
      },
      onExit: (reason) => {
        if (slot.tab !== tab) return
        void tab.close() // whatever is left of it (a crashed page's browser) goes before the restart
        this.failed(slot, reason)
      },
    })
    slot.tab = tab
    try {
      await tab.open()
      if (slot.tab !== tab || this.stopping) return void (await tab.close())
      slot.state = 'up'
      slot.note = null
      slot.upSince = this.opts.clock.now()
      log.info(`tab ${slot.index + 1}: up (browser pid ${tab.pid() ?? '?'}, profile ${this.profileDir(slot.index)})`)
      for (const taskId of this.watchers.keys()) this.assignWatch(taskId)
      this.changed()
    } catch (err) {
      if (slot.tab !== tab || this.stopping) return
      await tab.close()
      this.failed(slot, `could not start: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)
    }
  }

  private failed(slot: Slot, reason: string): void {
    if (this.stopping) return
    const stable = slot.state === 'up' && this.opts.clock.now() - slot.upSince >= STABLE_AFTER_MS
    slot.failures = stable ? 1 : slot.failures + 1
    slot.restarts++
    slot.tab = null
    slot.status = null
    slot.state = 'restarting'
    const delay = restartDelayMs(slot.failures)
    slot.note = `${reason}; restart #${slot.restarts} in ${(delay / 1000).toFixed(0)} s`
    log.warn(`tab ${slot.index + 1}: ${slot.note}`)
    for (const [taskId, at] of this.watchedOn) if (at === slot.index) this.watchedOn.delete(taskId)
    for (const taskId of this.watchers.keys()) this.assignWatch(taskId)
    slot.cancelRestart = this.opts.clock.setTimeout(() => {
      slot.cancelRestart = null
      void this.launch(slot)
    }, delay)
    this.changed()
  }

  /** Makes sure one tab that is up pushes this task's views. */
  private assignWatch(taskId: string): void {
    if (this.watchedOn.has(taskId)) return
    // The submitting tab has the task first; any other tab gets it through the mesh.
    const up = (s: Slot | undefined): s is Slot => s !== undefined && s.state === 'up' && s.tab !== null
    const origin = this.slots[this.submittedOn.get(taskId) ?? -1]
    const slot = up(origin) ? origin : this.slots.find(up)
    if (!slot) return // re-assigned when a tab comes up
    this.watchedOn.set(taskId, slot.index)
    slot.tab!.watch(taskId).catch((err: unknown) => {
      log.warn(`tab ${slot.index + 1}: could not watch ${taskId}: ${String(err)}`)
      if (this.watchedOn.get(taskId) === slot.index) this.watchedOn.delete(taskId)
    })
  }

  private changed(): void {
    for (const l of this.listeners) l()
  }
}
