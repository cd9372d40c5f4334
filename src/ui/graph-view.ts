/**
 * The decomposition graph of one task, laid out by dagre and drawn as HTML
 * boxes over an SVG of edges, inside a viewport that pans and zooms with
 * d3-zoom (wheel, pinch, drag). Nodes are coloured by status, labelled with
 * role, title and the peer working on them; running nodes show their streamed
 * output, the selected one in a larger box.
 *
 * Redraws stay cheap while many nodes stream: dagre runs only when nodes or
 * edges change (graph-fit.ts structureKey), and each node box is patched in
 * place only when what it shows changed. The view fits the whole graph into
 * the panel whenever the layout changes, until the user pans or zooms; the fit
 * button (or picking another task) fits again and resumes that.
 */
import dagre from '@dagrejs/dagre'
import { select, type Selection } from 'd3-selection'
import { zoom, zoomIdentity, type D3ZoomEvent, type ZoomBehavior } from 'd3-zoom'
import type { DerivedTask } from '../scheduler'
import { h, replaceChildrenAlways } from './dom'
import { MAX_SCALE, MIN_SCALE, fitTransform, structureKey, type ViewTransform } from './graph-fit'

const NODE_W = 210
const NODE_H = 78
/** Verifications hang under every step: smaller boxes keep a wide plan readable when fitted. */
const VERIFY_W = 150
const VERIFY_H = 58
const sizeOf = (d: DerivedTask): { w: number; h: number } => (d.task.kind === 'verify' ? { w: VERIFY_W, h: VERIFY_H } : { w: NODE_W, h: NODE_H })
const SVG_NS = 'http://www.w3.org/2000/svg'

export interface GraphView {
  readonly element: HTMLElement
  render(rootId: string | null, derived: ReadonlyMap<string, DerivedTask>, nameOf: (node: string) => string, selectedId?: string | null): void
  /** Fits the whole graph into the panel and resumes fitting on every layout change. */
  fit(): void
  /** The current pan/zoom (tests and the bench read it). */
  transform(): ViewTransform
}

/** Who is (or was) working on a task: the winner of the open attempt, else whoever produced the accepted result. */
export function assigneeOf(d: DerivedTask): string | undefined {
  return d.accepted?.result.provenance.node ?? d.winner
}

interface Layout {
  readonly key: string
  readonly width: number
  readonly height: number
  readonly pos: ReadonlyMap<string, { x: number; y: number }>
}

interface Drawn {
  readonly el: HTMLButtonElement
  sig: string
  /** The streamed-text line, updated alone while only the stream changes (the common case). */
  partial: HTMLElement | null
  partialText: string
}

export function createGraphView(onSelect: (taskId: string) => void): GraphView {
  const inner = h('div', { class: 'graph-inner' })
  const canvas = h('div', { class: 'graph-canvas', testid: 'graph' }, inner)
  const empty = h('div', { class: 'muted empty graph-empty' }, 'Submit a task, or pick one from the list, to see its graph.')
  const fitBtn = h('button', { type: 'button', testid: 'graph-fit', title: 'Fit the whole graph into the panel' }, 'Fit')
  const zoomIn = h('button', { type: 'button', testid: 'graph-zoom-in', title: 'Zoom in', 'aria-label': 'Zoom in' }, '+')
  const zoomOut = h('button', { type: 'button', testid: 'graph-zoom-out', title: 'Zoom out', 'aria-label': 'Zoom out' }, '−')
  const element = h(
    'section',
    { class: 'panel graph-panel' },
    h('div', { class: 'graph-head' }, h('h2', {}, 'Decomposition graph'), h('span', { class: 'muted small graph-hint' }, 'drag to pan · wheel or pinch to zoom'), h('span', { class: 'graph-tools' }, zoomOut, zoomIn, fitBtn)),
    canvas,
    empty,
  )

  let layout: Layout | null = null
  let shownRoot: string | null = null
  let follow = true // fit on every layout change until the user moves the view
  let current: ViewTransform = { k: 1, x: 0, y: 0 }
  const drawn = new Map<string, Drawn>()
  let svg: SVGSVGElement | null = null

  const zoomer: ZoomBehavior<HTMLDivElement, unknown> = zoom<HTMLDivElement, unknown>()
    .scaleExtent([MIN_SCALE, MAX_SCALE])
    .on('zoom', (ev: D3ZoomEvent<HTMLDivElement, unknown>) => {
      const t = ev.transform
      current = { k: t.k, x: t.x, y: t.y }
      inner.style.transform = `translate(${t.x}px, ${t.y}px) scale(${t.k})`
      canvas.dataset.scale = t.k.toFixed(3)
      // Only a person's wheel, pinch or drag has a sourceEvent; our own fits do not.
      if (ev.sourceEvent) follow = false
    })
  const sel: Selection<HTMLDivElement, unknown, null, undefined> = select(canvas)
  sel.call(zoomer).on('dblclick.zoom', null) // double-click belongs to the node boxes

  const apply = (t: ViewTransform): void => {
    sel.call(zoomer.transform, zoomIdentity.translate(t.x, t.y).scale(t.k))
  }
  const fitNow = (): void => {
    if (!layout) return
    apply(fitTransform({ width: layout.width, height: layout.height }, { width: canvas.clientWidth, height: canvas.clientHeight }))
  }
  const fit = (): void => {
    follow = true
    fitNow()
  }
  fitBtn.addEventListener('click', fit)
  zoomIn.addEventListener('click', () => sel.call(zoomer.scaleBy, 1.25))
  zoomOut.addEventListener('click', () => sel.call(zoomer.scaleBy, 0.8))
  // The panel changes size with the window and the phone's orientation: keep the fit honest.
  if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => follow && fitNow()).observe(canvas)

  const layoutFor = (rankdir: 'TB' | 'LR', nodes: readonly DerivedTask[], edges: readonly [string, string][]) => {
    const g = new dagre.graphlib.Graph()
    g.setGraph({ rankdir, nodesep: 14, ranksep: rankdir === 'TB' ? 36 : 48, marginx: 8, marginy: 8 })
    g.setDefaultEdgeLabel(() => ({}))
    for (const d of nodes) g.setNode(d.task.id, { width: sizeOf(d).w, height: sizeOf(d).h })
    for (const [from, to] of edges) g.setEdge(from, to)
    dagre.layout(g)
    const size = g.graph() as { width?: number; height?: number }
    return { g, width: Math.max(size.width ?? 0, NODE_W), height: Math.max(size.height ?? 0, NODE_H) }
  }

  const relayout = (key: string, nodes: readonly DerivedTask[], edges: readonly [string, string][]): void => {
    // Top-down reads best; a wide plan in a landscape panel fits larger left-to-right. Take whichever
    // fits the panel at the larger scale (only when nodes or edges change, so it never flips while streaming).
    const viewport = { width: canvas.clientWidth, height: canvas.clientHeight }
    const tb = layoutFor('TB', nodes, edges)
    const scaleOf = (l: { width: number; height: number }) => fitTransform(l, viewport).k
    const lr = nodes.length > 8 ? layoutFor('LR', nodes, edges) : null
    const { g, width, height } = lr && scaleOf(lr) > scaleOf(tb) * 1.15 ? lr : tb
    canvas.dataset.rankdir = lr && g === lr.g ? 'LR' : 'TB'
    const pos = new Map<string, { x: number; y: number }>()
    for (const d of nodes) {
      const p = g.node(d.task.id) as { x: number; y: number }
      const { w, h } = sizeOf(d)
      pos.set(d.task.id, { x: p.x - w / 2, y: p.y - h / 2 })
    }
    layout = { key, width, height, pos }
    svg = document.createElementNS(SVG_NS, 'svg')
    svg.setAttribute('width', String(width))
    svg.setAttribute('height', String(height))
    svg.classList.add('graph-edges')
    for (const e of g.edges()) {
      const points = (g.edge(e) as { points?: { x: number; y: number }[] }).points ?? []
      const line = document.createElementNS(SVG_NS, 'polyline')
      line.setAttribute('points', points.map((p) => `${p.x},${p.y}`).join(' '))
      svg.append(line)
    }
    inner.style.width = `${width}px`
    inner.style.height = `${height}px`
  }

  return {
    element,
    fit,
    transform: () => current,
    render(rootId, derived, nameOf, selectedId = null) {
      empty.hidden = rootId !== null
      canvas.hidden = rootId === null
      if (!rootId) {
        layout = null
        shownRoot = null
        drawn.clear()
        inner.replaceChildren()
        return
      }
      if (rootId !== shownRoot) {
        shownRoot = rootId
        follow = true
      }
      const nodes = [...derived.values()].filter((d) => d.task.rootId === rootId && !d.superseded)
      const ids = new Set(nodes.map((d) => d.task.id as string))
      const edges = edgesOf(nodes).filter(([from, to]) => ids.has(from) && ids.has(to))
      const key = structureKey(rootId, [...ids], edges)
      const structural = layout?.key !== key
      if (structural) relayout(key, nodes, edges)
      const pos = layout!.pos

      // Patch boxes in place; only new nodes are created, only gone ones removed.
      for (const [id, d] of drawn) if (!ids.has(id)) (d.el.remove(), drawn.delete(id))
      for (const d of nodes) {
        const id = d.task.id as string
        const p = pos.get(id)!
        const view = nodeView(d, nameOf, id === selectedId)
        let box = drawn.get(id)
        if (!box) {
          const el = h('button', { type: 'button', testid: 'graph-node', 'data-task-id': id })
          el.addEventListener('click', () => onSelect(id))
          box = { el, sig: '', partial: null, partialText: '' }
          drawn.set(id, box)
        }
        const sig = `${p.x},${p.y}|${view.sig}`
        if (sig !== box.sig) {
          box.sig = sig
          box.partial = paint(box.el, view, p.x, p.y)
          box.partialText = view.partial
        } else if (view.partial !== box.partialText && box.partial) {
          box.partial.textContent = view.partial
          box.partialText = view.partial
        }
      }
      if (structural) {
        inner.replaceChildren(...(svg ? [svg] : []), ...[...drawn.values()].map((d) => d.el))
        if (follow) fitNow()
      }
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

interface NodeView {
  readonly d: DerivedTask
  readonly assignee: string | undefined
  readonly who: string
  readonly partial: string
  readonly selected: boolean
  readonly sig: string
}

/** What one box shows; `sig` changes exactly when the box must be repainted. */
function nodeView(d: DerivedTask, nameOf: (node: string) => string, selected: boolean): NodeView {
  const assignee = assigneeOf(d)
  const who = assignee ? nameOf(assignee) : d.failure ? d.failure.slice(0, 60) : ''
  const full = d.status === 'running' && d.winner ? (d.task.partials.get(`${d.attempt}:${d.winner}`) ?? '') : ''
  // The selected box is taller and shows more of the stream (node-detail shows all of it).
  const partial = full.slice(selected ? -240 : -80)
  // Whether there is streamed text changes the box; the text itself is patched alone.
  const sig = [d.status, d.attempt, assignee ?? '', who, d.task.title, d.failure ?? '', partial !== '', selected].join('\u0001')
  return { d, assignee, who, partial, selected, sig }
}

/** Repaints one box; returns its streamed-text element, if it shows one. */
function paint(el: HTMLButtonElement, v: NodeView, x: number, y: number): HTMLElement | null {
  const { d } = v
  const t = d.task
  const role = t.role ?? 'task'
  el.className = `graph-node status-${d.status} kind-${t.kind}${v.selected ? ' selected' : ''}`
  const { w, h: height } = sizeOf(d)
  el.style.cssText = `left:${x}px;top:${y}px;width:${w}px;min-height:${height}px;${v.selected ? '' : `height:${height}px;`}`
  el.dataset.status = d.status
  el.dataset.role = role
  el.dataset.kind = t.kind
  el.dataset.attempt = String(d.attempt)
  el.dataset.assignee = v.assignee ?? ''
  el.dataset.selected = String(v.selected)
  el.title = `${t.title}\n${d.status}${d.failure ? `: ${d.failure}` : ''}`
  const retries = d.attempt > 1 ? `attempt ${d.attempt}` : ''
  const partial = v.partial ? h('div', { class: `node-partial small${v.selected ? ' live' : ''}`, testid: 'graph-node-partial' }, v.partial) : null
  replaceChildrenAlways(el, [
    h('div', { class: 'node-head' }, h('span', { class: 'node-role' }, role), h('span', { class: 'node-status' }, d.status), retries ? h('span', { class: 'node-retry' }, retries) : null),
    h('div', { class: 'node-title' }, t.title),
    h('div', { class: 'node-who small' }, v.who),
    partial,
  ])
  return partial
}
