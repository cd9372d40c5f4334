/**
 * Draws the app's icons (public/icons/*.png) with pngjs: a small swarm of
 * connected nodes on the app's dark background. `tsx scripts/make-icons.ts`
 * rewrites them; the PNGs are committed so a build needs nothing else.
 * The maskable variant keeps the drawing inside the central 80 % safe zone.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PNG } from 'pngjs'

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons')
const BG = [0x0f, 0x12, 0x16] as const
const LINE = [0x4a, 0x56, 0x66] as const
const NODE = [0x6c, 0xc0, 0xff] as const
const HUB = [0xd9, 0x8c, 0xff] as const

/** Node positions in unit coordinates (centre 0.5, 0.5); the first is the hub. */
const NODES: readonly [number, number][] = [
  [0.5, 0.5],
  [0.5, 0.2],
  [0.76, 0.35],
  [0.76, 0.65],
  [0.5, 0.8],
  [0.24, 0.65],
  [0.24, 0.35],
]
const EDGES: readonly [number, number][] = [[0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [0, 6], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 1]]

function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax
  const dy = by - ay
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy))
}

function draw(size: number, inset: number, rounded: boolean): Buffer {
  const png = new PNG({ width: size, height: size })
  const map = (v: number) => (inset + v * (1 - 2 * inset)) * size
  const nodes = NODES.map(([x, y]) => [map(x), map(y)] as const)
  const radius = size * 0.075 * (1 - 2 * inset)
  const stroke = size * 0.018 * (1 - 2 * inset)
  const corner = size * 0.18
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const px = x + 0.5
      const py = y + 0.5
      let color: readonly number[] = BG
      let alpha = 255
      if (rounded) {
        // Rounded-square silhouette for the plain icon; maskable icons are full-bleed.
        const cx = Math.max(corner - px, 0, px - (size - corner))
        const cy = Math.max(corner - py, 0, py - (size - corner))
        const out = Math.hypot(cx, cy) - corner
        alpha = Math.round(255 * Math.max(0, Math.min(1, 0.5 - out)))
      }
      for (const [a, b] of EDGES) {
        const d = segmentDistance(px, py, nodes[a]![0], nodes[a]![1], nodes[b]![0], nodes[b]![1])
        if (d < stroke) color = LINE
      }
      nodes.forEach(([nx, ny], i) => {
        if (Math.hypot(px - nx, py - ny) < radius * (i === 0 ? 1.35 : 1)) color = i === 0 ? HUB : NODE
      })
      const o = (y * size + x) * 4
      png.data[o] = color[0]!
      png.data[o + 1] = color[1]!
      png.data[o + 2] = color[2]!
      png.data[o + 3] = alpha
    }
  }
  return PNG.sync.write(png)
}

mkdirSync(OUT, { recursive: true })
const icons = [
  { file: 'icon-192.png', size: 192, inset: 0.06, rounded: true },
  { file: 'icon-512.png', size: 512, inset: 0.06, rounded: true },
  { file: 'maskable-512.png', size: 512, inset: 0.16, rounded: false },
  { file: 'apple-touch-icon-180.png', size: 180, inset: 0.1, rounded: false },
]
for (const icon of icons) writeFileSync(path.join(OUT, icon.file), draw(icon.size, icon.inset, icon.rounded))
process.stdout.write(`wrote ${icons.map((i) => i.file).join(', ')} to ${OUT}\n`)
