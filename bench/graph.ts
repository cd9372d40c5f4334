/**
 * Graph frame time (part of `npm run bench`): the real graph view in headless
 * Chromium, rendering one frame per requestAnimationFrame while S of its
 * nodes stream text, for graphs of growing size. Side by side in one run:
 * the view as it is (layout only when nodes or edges change, boxes patched in
 * place) against a full rebuild every frame (a new dagre layout and new DOM:
 * what it did before), and against the same graph with nothing streaming.
 * Reported: median and p95 frame interval (the browser's whole frame) and
 * median render time (our JS). No assertions: measurements.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startSwarmServer } from '../signaling-server/server'
import { closeAll, launchPeer } from '../tests/e2e/harness'
import type { BenchConfig, BenchResult } from './graph-page/main'

const here = path.dirname(fileURLToPath(import.meta.url))
const FRAMES = 60

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? NaN

async function buildPage(): Promise<string> {
  const outDir = mkdtempSync(path.join(tmpdir(), 'mindos-graph-bench-'))
  const { build } = await import('vite')
  await build({ root: path.join(here, 'graph-page'), configFile: false, logLevel: 'warn', base: '/', build: { outDir, emptyOutDir: true, target: 'es2022' } })
  return outDir
}

export async function benchGraph(): Promise<string> {
  const dir = await buildPage()
  const server = await startSwarmServer({ port: 0, staticDir: dir, tinyFixtureDir: false })
  const peer = await launchPeer()
  try {
    await peer.page.setViewportSize({ width: 1280, height: 900 })
    await peer.page.goto(`${server.url}/`)
    await peer.page.evaluate('globalThis.__name = (f) => f') // tsx's keepNames helper, see bench/run.ts
    const run = (c: BenchConfig): Promise<BenchResult> => peer.page.evaluate((cfg) => (window as unknown as { __benchGraph: (c: BenchConfig) => Promise<BenchResult> }).__benchGraph(cfg), c)
    const lines = [
      `Graph frame time (headless Chromium, 1280×900, ${FRAMES} frames each, S of N steps streaming every frame; medians, p95):`,
      '  nodes  streaming  view                  frame ms  p95 ms  render ms   vs patched',
    ]
    await run({ steps: 6, streaming: 3, frames: 20, rebuild: false }) // warm-up: JIT, fonts, styles
    for (const steps of [6, 15, 30]) {
      const streaming = Math.ceil(steps / 2)
      const patched = await run({ steps, streaming, frames: FRAMES, rebuild: false })
      const rebuilt = await run({ steps, streaming, frames: FRAMES, rebuild: true })
      const idle = await run({ steps, streaming: 0, frames: FRAMES, rebuild: false })
      const base = quantile(patched.renderMs, 0.5)
      const row = (name: string, s: number, r: BenchResult) =>
        `  ${String(r.nodes).padStart(5)}  ${String(s).padStart(9)}  ${name.padEnd(20)} ${quantile(r.frameMs, 0.5).toFixed(1).padStart(9)} ${quantile(r.frameMs, 0.95).toFixed(1).padStart(7)} ${quantile(r.renderMs, 0.5).toFixed(2).padStart(10)} ${(quantile(r.renderMs, 0.5) / base).toFixed(2).padStart(10)}×`
      lines.push(row('patched (current)', streaming, patched), row('full rebuild', streaming, rebuilt), row('patched, idle', 0, idle))
    }
    lines.push('  (frame ms ≈ 16.7 means every frame made its 60 Hz slot; "vs patched" compares render ms in the same run)')
    return lines.join('\n')
  } finally {
    await closeAll([peer], server)
  }
}
