/**
 * Pure geometry for the graph panel: the pan/zoom transform that fits a laid
 * out graph into the visible viewport, and the key that says whether a redraw
 * needs a new layout (only when nodes or edges change, never for streamed text).
 */

export interface Size {
  readonly width: number
  readonly height: number
}

export interface ViewTransform {
  /** Scale. */
  readonly k: number
  /** Translation in viewport pixels, applied after scaling. */
  readonly x: number
  readonly y: number
}

export const MIN_SCALE = 0.05
export const MAX_SCALE = 2.5

/**
 * Scales `content` down (never up beyond 1: small graphs stay at reading size)
 * so all of it fits inside `viewport` minus `pad` on every side, and centres it.
 * Degenerate sizes (a hidden panel measures 0×0) give the identity.
 */
export function fitTransform(content: Size, viewport: Size, pad = 12): ViewTransform {
  const availW = viewport.width - 2 * pad
  const availH = viewport.height - 2 * pad
  if (!(content.width > 0 && content.height > 0 && availW > 0 && availH > 0)) return { k: 1, x: 0, y: 0 }
  const k = Math.max(MIN_SCALE, Math.min(1, availW / content.width, availH / content.height))
  return { k, x: (viewport.width - content.width * k) / 2, y: (viewport.height - content.height * k) / 2 }
}

/** Same nodes and same edges ⇒ same layout: the key ignores everything that changes while nodes stream. */
export function structureKey(rootId: string, nodeIds: readonly string[], edges: readonly (readonly [string, string])[]): string {
  return `${rootId}|${[...nodeIds].sort().join(',')}|${edges.map(([a, b]) => `${a}>${b}`).sort().join(',')}`
}
