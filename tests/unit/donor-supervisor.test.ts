/**
 * The donor's supervisor with FAKE tabs (no browsers) and a manual clock:
 * restarts with backoff, backoff reset after a stable run, task watches
 * moving to a tab that is up, submits spread over tabs, and a clean stop.
 */
import { describe, expect, it } from 'vitest'
import { Supervisor, type TabHandle } from '../../donor/supervisor'
import type { TabConfig, TabEvents } from '../../donor/tab'
import { BRIDGE_VERSION, type SubmitReply, type TaskView } from '../../src/bridge/protocol'
import { setLogLevel } from '../../src/log'
import { ManualClock, readyTab } from './donor-fakes'

setLogLevel('error')

/** FAKE tab: opens when the test says so, records watches, can "crash". */
class FakeTab implements TabHandle {
  opened = false
  closed = false
  readonly watched: string[] = []
  readonly submitted: string[] = []
  private resolveOpen: (() => void) | null = null
  private rejectOpen: ((e: Error) => void) | null = null
  constructor(
    readonly label: string,
    readonly cfg: TabConfig,
    readonly events: TabEvents,
  ) {}
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.resolveOpen = () => {
        this.opened = true
        this.events.onStatus(readyTab({ nodeId: this.label }))
        resolve()
      }
      this.rejectOpen = reject
    })
  }
  async close(): Promise<void> {
    this.closed = true
  }
  async submit(prompt: string): Promise<SubmitReply> {
    this.submitted.push(prompt)
    return { ok: true, taskId: `task-${this.label.replace(' ', '')}-${this.submitted.length}` }
  }
  async watch(taskId: string): Promise<void> {
    this.watched.push(taskId)
  }
  async unwatch(): Promise<void> {}
  pid(): number | null {
    return 1
  }
  finishOpen(): void {
    this.resolveOpen!()
  }
  failOpen(reason: string): void {
    this.rejectOpen!(new Error(reason))
  }
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}

function setup(tabs: number) {
  const clock = new ManualClock()
  const made: FakeTab[] = []
  const sup = new Supervisor({
    tabs,
    room: 'r1',
    dataDir: '/data',
    clock,
    tab: { url: 'http://x/', chromium: '/c', flags: [] },
    createTab: (label, cfg, events) => {
      const t = new FakeTab(label, cfg, events)
      made.push(t)
      return t
    },
  })
  const latest = (label: string): FakeTab => made.filter((t) => t.label === label).at(-1)!
  return { clock, made, sup, latest }
}

const view = (taskId: string, status: TaskView['status'] = 'running'): TaskView => ({ v: BRIDGE_VERSION, type: 'task', taskId, status, failure: null, steps: [], partial: null, answer: null, provenance: null })

describe('Supervisor', () => {
  it('gives each tab its own profile folder and reports it up once its page is', async () => {
    const { sup, made } = setup(2)
    sup.start()
    expect(made.map((t) => t.cfg.profileDir)).toEqual(['/data/tab-1', '/data/tab-2'])
    expect(sup.views().map((v) => v.state)).toEqual(['starting', 'starting'])
    made[0]!.finishOpen()
    await flush()
    expect(sup.views().map((v) => v.state)).toEqual(['up', 'starting'])
    expect(sup.statuses().map((s) => s.nodeId)).toEqual(['tab 1'])
  })

  it('restarts a tab that died, backing off 1 s, 2 s, 4 s while it keeps failing, and from 1 s again after a stable run', async () => {
    const { sup, clock, latest } = setup(1)
    sup.start()
    latest('tab 1').finishOpen()
    await flush()
    latest('tab 1').events.onExit('the browser closed')
    expect(sup.views()[0]).toMatchObject({ state: 'restarting', restarts: 1, note: 'the browser closed; restart #1 in 1 s' })
    expect(sup.statuses()).toEqual([])
    const delays: number[] = []
    for (let i = 0; i < 3; i++) {
      const before = latest('tab 1')
      let waited = 0
      while (latest('tab 1') === before) {
        clock.advance(500)
        waited += 500
      }
      delays.push(waited)
      latest('tab 1').failOpen('no page')
      await flush()
    }
    expect(delays).toEqual([1_000, 2_000, 4_000])
    expect(sup.views()[0]!.note).toBe('could not start: no page; restart #4 in 8 s')
    clock.advance(8_000)
    latest('tab 1').finishOpen()
    await flush()
    clock.advance(61_000) // a stable run
    latest('tab 1').events.onExit('the page crashed')
    expect(sup.views()[0]!.note).toBe('the page crashed; restart #5 in 1 s')
  })

  it('ignores events of a tab it has replaced', async () => {
    const { sup, latest, clock } = setup(1)
    sup.start()
    const first = latest('tab 1')
    first.finishOpen()
    await flush()
    first.events.onExit('killed')
    clock.advance(1_000)
    first.events.onExit('killed again')
    first.events.onStatus(readyTab({ nodeId: 'stale' }))
    expect(sup.views()[0]).toMatchObject({ restarts: 1, state: 'restarting', status: null })
  })

  it('submits through the tabs in turn, and says NOT_READY when none is up', async () => {
    const { sup, made } = setup(2)
    expect(await sup.submit('x')).toMatchObject({ ok: false, code: 'NOT_READY' })
    sup.start()
    made.forEach((t) => t.finishOpen())
    await flush()
    await sup.submit('a')
    await sup.submit('b')
    expect(made.map((t) => t.submitted)).toEqual([['a'], ['b']])
  })

  it('watches a task on the tab it was submitted through, moves the watch when that tab dies, and delivers views', async () => {
    const { sup, made, latest } = setup(2)
    sup.start()
    made.forEach((t) => t.finishOpen())
    await flush()
    await sup.submit('first') // tab 1
    const reply = await sup.submit('second') // tab 2
    const taskId = reply.ok ? reply.taskId : ''
    const seen: string[] = []
    const off = sup.watch(taskId, (v) => seen.push(v.status))
    expect(latest('tab 2').watched).toEqual([taskId])
    latest('tab 2').events.onExit('killed')
    expect(latest('tab 1').watched).toEqual([taskId])
    latest('tab 1').events.onTask(view(taskId, 'done'))
    latest('tab 1').events.onTask(view('another-task', 'done'))
    expect(seen).toEqual(['done'])
    off()
    latest('tab 1').events.onTask(view(taskId, 'done'))
    expect(seen).toEqual(['done'])
  })

  it('re-assigns a watch nobody could take once a tab comes up', async () => {
    const { sup, latest, clock } = setup(1)
    sup.start()
    sup.watch('t-1', () => {})
    expect(latest('tab 1').watched).toEqual([])
    latest('tab 1').finishOpen()
    await flush()
    expect(latest('tab 1').watched).toEqual(['t-1'])
    latest('tab 1').events.onExit('killed')
    clock.advance(1_000)
    latest('tab 1').finishOpen()
    await flush()
    expect(latest('tab 1').watched).toEqual(['t-1'])
  })

  it('stop closes every tab, including one still starting, and restarts nothing afterwards', async () => {
    const { sup, made, clock } = setup(2)
    sup.start()
    made[0]!.finishOpen()
    await flush()
    made[0]!.events.onExit('killed') // a restart is pending
    await sup.stop()
    expect(made.every((t) => t.closed)).toBe(true)
    expect(sup.views().map((v) => v.state)).toEqual(['stopped', 'stopped'])
    const count = made.length
    clock.advance(120_000)
    made[1]!.finishOpen() // the tab that was still starting finishes now
    await flush()
    expect(made).toHaveLength(count)
    expect(sup.views().map((v) => v.state)).toEqual(['stopped', 'stopped'])
  })
})
