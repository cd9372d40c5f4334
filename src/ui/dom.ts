/**
 * Tiny DOM builder. Text always goes through textContent: peer data is never parsed as HTML.
 *
 * Views rebuild their DOM from data on every render (simple, and nothing can
 * drift from the data), and `replaceChildren` keeps the old nodes when the
 * rebuilt ones are equal to them. Replacing equal nodes was not free: each
 * replacement re-lays out and repaints its region, and in a page that
 * re-renders on every engine state change and presence update, software
 * raster of those repaints took more CPU than the model (measured during a
 * try-box run: raster threads 73 ms, the page's main thread 44 ms, the
 * inference worker 61 ms, on two cores). Keeping equal nodes also keeps
 * focus, hover, text selection and scroll position inside them.
 */
type Child = Node | string | null | undefined | false
type Handler = (ev: Event) => void
type Attrs = Record<string, string | number | boolean | undefined | Handler>

/**
 * Event handlers set through `h`, per element and event type. The element
 * listens through one dispatcher per type that looks its handler up here, so
 * an equal node that stays in the DOM can take over the rebuilt node's
 * handlers (closures over the newest data) without re-adding listeners.
 */
const handlers = new WeakMap<Element, Map<string, Handler>>()
const dispatch = (ev: Event): void => {
  const fn = handlers.get(ev.currentTarget as Element)?.get(ev.type)
  fn?.(ev)
}

function listen(el: Element, type: string, fn: Handler): void {
  let map = handlers.get(el)
  if (!map) handlers.set(el, (map = new Map()))
  if (!map.has(type)) el.addEventListener(type, dispatch)
  map.set(type, fn)
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') listen(el, name.replace(/^on/, ''), value)
    else if (name === 'class') el.className = String(value)
    else if (name === 'testid') el.dataset.testid = String(value)
    else el.setAttribute(name, value === true ? '' : String(value))
  }
  append(el, children)
  return el
}

export function append(el: Element, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    el.append(typeof child === 'string' ? document.createTextNode(child) : child)
  }
}

/**
 * Makes `children` the element's children: in one go, or, when the current
 * children are equal to them (`isEqualNode`: same tags, attributes, text,
 * all the way down), by keeping the current nodes and handing them the new
 * nodes' handlers. Returns whether the DOM changed. Callers that keep a
 * reference to a child they passed must use `replaceChildrenAlways`: after
 * an equal render that child is not the one in the document.
 */
export function replaceChildren(el: Element, children: readonly Child[]): boolean {
  const next = children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false).map((c) => (typeof c === 'string' ? document.createTextNode(c) : c))
  const current = el.childNodes
  if (current.length === next.length && next.every((n, i) => n.isEqualNode(current[i]!))) {
    next.forEach((n, i) => adoptHandlers(current[i]!, n))
    return false
  }
  el.replaceChildren(...next)
  return true
}

/** Replaces the children even when they are equal (for callers that go on using the nodes they passed). */
export function replaceChildrenAlways(el: Element, children: readonly Child[]): void {
  el.replaceChildren()
  append(el, children)
}

/** Sets an element's text only when it differs: an equal assignment still replaces the text node and repaints. */
export function setText(el: Node, text: string): void {
  if (el.textContent !== text) el.textContent = text
}

/** `kept` stays in the document in place of its equal `fresh`: its handlers become fresh's, node by node. */
function adoptHandlers(kept: Node, fresh: Node): void {
  if (kept instanceof Element && fresh instanceof Element) {
    const theirs = handlers.get(fresh)
    const mine = handlers.get(kept)
    if (theirs || mine) {
      for (const type of mine?.keys() ?? []) if (!theirs?.has(type)) mine!.delete(type)
      for (const [type, fn] of theirs ?? []) listen(kept, type, fn)
    }
  }
  const a = kept.childNodes
  const b = fresh.childNodes
  for (let i = 0; i < b.length; i++) adoptHandlers(a[i]!, b[i]!)
}

export function formatAgo(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s}s ago`
  const m = Math.round(s / 60)
  return m < 60 ? `${m} min ago` : `${Math.round(m / 60)} h ago`
}
