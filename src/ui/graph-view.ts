/**
 * The decomposition graph of one task, laid out by dagre and redrawn as the
 * board changes: nodes coloured by status, labelled with role, title and the
 * peer working on them; running nodes show their streamed output.
 */
import dagre from '@dagrejs/dagre'
import type { DerivedTask } from '../scheduler'
import { h, replaceChildren } from './dom'

const NODE_W = 210
const NODE_H = 78
const SVG_NS = 'http://www.w3.org/2000/svg'

export interface GraphView {
  readonly element: HTMLElement
  render(rootId: string | null, derived: ReadonlyMap<string, DerivedTask>, nameOf: (node: string) => string): void
}

/** Who is (or was) working on a task: the winner of the open attempt, else whoever produced the accepted result. */
export function assigneeOf(d: DerivedTask): string | undefined {
  return d.accepted?.result.provenance.node ?? d.winner
}

export function createGraphView(onSelect: (taskId: string) => void): GraphView {
  const canvas = h('div', { class: 'graph-canvas', testid: 'graph' })
  const element = h('section', { class: 'panel graph-panel' }, h('h2', {}, 'Decomposition graph'), canvas)
  return {
    element,
    render(rootId, derived, nameOf) {
      if (!rootId) {
        replaceChildren(canvas, [h('div', { class: 'muted empty' }, 'Submit a task, or pick one from the list, to see its graph.')])
        return
      }
      const nodes = [...derived.values()].filter((d) => d.task.rootId === rootId && !d.superseded)
      const ids = new Set(nodes.map((d) => d.task.id as string))
      const g = new dagre.graphlib.Graph()
      g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 42, marginx: 8, marginy: 8 })
      g.setDefaultEdgeLabel(() => ({}))
      for (const d of nodes) g.setNode(d.task.id, { width: NODE_W, height: NODE_H })
      for (const [from, to] of edgesOf(nodes)) if (ids.has(from) && ids.has(to)) g.setEdge(from, to)
      dagre.layout(g)
      const size = g.graph() as { width?: number; height?: number }
      const width = Math.max(size.width ?? 0, NODE_W)
      const height = Math.max(size.height ?? 0, NODE_H)

      const svg = document.createElementNS(SVG_NS, 'svg')
      svg.setAttribute('width', String(width))
      svg.setAttribute('height', String(height))
      svg.classList.add('graph-edges')
      for (const e of g.edges()) {
        const points = (g.edge(e) as { points?: { x: number; y: number }[] }).points ?? []
        const path = document.createElementNS(SVG_NS, 'polyline')
        path.setAttribute('points', points.map((p) => `${p.x},${p.y}`).join(' '))
        svg.append(path)
      }
      const boxes = nodes.map((d) => {
        const pos = g.node(d.task.id) as { x: number; y: number }
        return nodeBox(d, nameOf, pos.x - NODE_W / 2, pos.y - NODE_H / 2, () => onSelect(d.task.id))
      })
      const inner = h('div', { class: 'graph-inner', style: `width:${width}px;height:${height}px` })
      inner.append(svg, ...boxes)
      replaceChildren(canvas, [inner])
    },
  }
}

/** dep → task, creator → created (plan → steps, result → its verification), synthesis → root (the answer, drawn last). */
function edgesOf(nodes: readonly DerivedTask[]): [string, string][] {
  const out: [string, string][] = []
  for (const d of nodes) {
    const t = d.task
    for (const dep of t.deps) out.push([dep, t.id])
    if (t.origin && (t.kind === 'verify' || t.deps.length === 0)) out.push([t.origin.slice(0, t.origin.indexOf('/')), t.id])
    if (t.kind === 'synthesize') out.push([t.id, t.rootId])
  }
  return out
}

function nodeBox(d: DerivedTask, nameOf: (node: string) => string, x: number, y: number, onClick: () => void): HTMLElement {
  const t = d.task
  const role = t.role ?? 'task'
  const assignee = assigneeOf(d)
  const partial = d.status === 'running' && d.winner ? (t.partials.get(`${d.attempt}:${d.winner}`) ?? '') : ''
  const retries = d.attempt > 1 ? `attempt ${d.attempt}` : ''
  const box = h(
    'button',
    {
      type: 'button',
      class: `graph-node status-${d.status} kind-${t.kind}`,
      style: `left:${x}px;top:${y}px;width:${NODE_W}px;height:${NODE_H}px`,
      testid: 'graph-node',
      'data-task-id': t.id,
      'data-status': d.status,
      'data-role': role,
      'data-kind': t.kind,
      'data-attempt': d.attempt,
      'data-assignee': assignee ?? '',
      title: `${t.title}\n${d.status}${d.failure ? `: ${d.failure}` : ''}`,
    },
    h('div', { class: 'node-head' }, h('span', { class: 'node-role' }, role), h('span', { class: 'node-status' }, d.status), retries ? h('span', { class: 'node-retry' }, retries) : null),
    h('div', { class: 'node-title' }, t.title),
    h('div', { class: 'node-who small' }, assignee ? nameOf(assignee) : d.failure ? d.failure.slice(0, 60) : ''),
    partial ? h('div', { class: 'node-partial small' }, partial.slice(-80)) : null,
  )
  box.addEventListener('click', onClick)
  return box
}
