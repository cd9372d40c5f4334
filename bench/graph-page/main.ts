/**
 * Page for bench/graph.ts: the real graph view (src/ui/graph-view.ts) and the
 * app's stylesheet, fed a synthetic board of N steps (each with its
 * verification) of which S stream a few characters every frame, as running
 * researchers do. Exposes `__benchGraph(config)` which renders one frame per
 * requestAnimationFrame and reports render time (JS) and frame intervals
 * (render + style + layout + paint, as the browser schedules frames).
 */
import '../../src/ui/styles.css'
import type { DerivedTask } from '../../src/scheduler'
import { createGraphView } from '../../src/ui/graph-view'

export interface BenchConfig {
  readonly steps: number
  readonly streaming: number
  readonly frames: number
  /** Build a new view every frame: a full dagre layout and DOM rebuild, what the view did before it patched in place. */
  readonly rebuild: boolean
}

export interface BenchResult {
  readonly nodes: number
  readonly renderMs: number[]
  readonly frameMs: number[]
}

const ROOT = 'bench-root'

function board(steps: number, streaming: number, frame: number): Map<string, DerivedTask> {
  const out = new Map<string, DerivedTask>()
  const add = (id: string, kind: string, status: string, extra: Record<string, unknown> = {}): void => {
    const partials = new Map<string, string>()
    if (status === 'running') partials.set('1:node-bench-0001', `${'token '.repeat(5 + frame)}#${frame}`.slice(-400))
    const task = { id, rootId: ROOT, kind, role: kind === 'root' ? undefined : kind === 'plan' ? 'planner' : kind === 'verify' ? 'verifier' : kind === 'synthesize' ? 'synthesizer' : 'researcher', title: `${kind} ${id}`, deps: [], partials, ...extra }
    out.set(id, { task, status, attempt: 1, superseded: false, ...(status === 'running' ? { winner: 'node-bench-0001' } : {}) } as unknown as DerivedTask)
  }
  add(ROOT, 'root', 'running')
  add('plan', 'plan', 'done')
  const ids: string[] = []
  for (let i = 0; i < steps; i++) {
    const id = `s${i}`
    ids.push(id)
    add(id, 'research', i < streaming ? 'running' : 'done', { origin: 'plan/1:x', deps: i >= 4 && i % 4 === 0 ? [`s${i - 4}`] : [] })
    add(`${id}-v`, 'verify', i < streaming ? 'pending' : 'done', { origin: `${id}/1:x`, verifies: { taskId: id } })
  }
  add('synth', 'synthesize', 'pending', { origin: 'plan/1:x', deps: ids })
  return out
}

const nextFrame = (): Promise<number> => new Promise((resolve) => requestAnimationFrame(resolve))

async function run(c: BenchConfig): Promise<BenchResult> {
  const host = document.getElementById('app')!
  let view = createGraphView(() => {})
  host.replaceChildren(view.element)
  const names = (n: string): string => n.slice(0, 8)
  const renderMs: number[] = []
  const frameMs: number[] = []
  let last = await nextFrame()
  for (let f = 0; f < c.frames; f++) {
    const data = board(c.steps, c.streaming, f)
    const t0 = performance.now()
    if (c.rebuild) {
      view = createGraphView(() => {})
      host.replaceChildren(view.element)
    }
    view.render(ROOT, data, names, null)
    renderMs.push(performance.now() - t0)
    const now = await nextFrame()
    frameMs.push(now - last)
    last = now
  }
  return { nodes: c.steps * 2 + 3, renderMs, frameMs }
}

;(window as unknown as { __benchGraph: typeof run }).__benchGraph = run
