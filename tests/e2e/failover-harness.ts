/**
 * Failover scenarios shared by the failover specs and `npm run bench`: a
 * small swarm of separate Chromium processes on the labelled simulated engine,
 * one tab made to disappear while it holds a step (closed, SIGKILLed, frozen),
 * and the surviving tab's own record of when it saw what.
 *
 * Times are taken *inside the surviving page* (Date.now() when its board or
 * peer list changed), against Date.now() in Node just before the action: one
 * machine, one clock. Specs assert the order of events; durations are only
 * recorded (.cache/failover-measurements.json) for the bench.
 */
import { chromium, expect, type Page } from '@playwright/test'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { repoRoot, watchPage, type Peer } from './harness'

export type Disappearance = 'close' | 'sigkill' | 'freeze'

export interface KillablePeer extends Peer {
  /** SIGKILLs the browser process: no unload, no goodbye, sockets just stop. */
  kill(): void
}

const FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
]

/** Like harness.launchPeer, but through a browser server so the spec holds the process. */
export async function launchKillablePeer(): Promise<KillablePeer> {
  const server = await chromium.launchServer({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: FLAGS })
  const browser = await chromium.connect(server.wsEndpoint())
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
  const page = await context.newPage()
  const peer: KillablePeer = {
    browser: { close: async () => { await browser.close().catch(() => {}); await server.close().catch(() => {}) } } as never,
    context,
    page,
    errors: [],
    logs: [],
    kill: () => void server.process().kill('SIGKILL'),
  }
  watchPage(peer, page)
  return peer
}

export interface GraphNode {
  readonly id: string
  readonly kind: string
  readonly status: string
  readonly assignee: string
  readonly attempt: number
}

export async function graphNodes(page: Page): Promise<GraphNode[]> {
  return page.getByTestId('graph-node').evaluateAll((els) =>
    els.map((e) => ({
      id: e.getAttribute('data-task-id') ?? '',
      kind: e.getAttribute('data-kind') ?? '',
      status: e.getAttribute('data-status') ?? '',
      assignee: e.getAttribute('data-assignee') ?? '',
      attempt: Number(e.getAttribute('data-attempt')),
    })),
  )
}

export async function selfId(page: Page): Promise<string> {
  return (await page.getByTestId('self-id').textContent()) ?? ''
}

export async function submit(page: Page, text: string): Promise<void> {
  await page.getByTestId('task-input').fill(text)
  await page.getByTestId('task-submit').click()
}

/**
 * Starts recording, inside `page`, the first time (Date.now()) each task got a
 * requeue record and each peer left the peer list. Reads the board through
 * the devtools handle `window.__mindos` (main.ts).
 */
export async function startWitness(page: Page): Promise<void> {
  await page.evaluate(() => {
    interface Handle {
      records(): Record<string, { requeues: Record<string, { attempt: number; reason: string; cause: string; by: string }> }>
      board: { onChange(fn: () => void): void }
      peers: () => string[]
    }
    const w = window as unknown as { __mindos: Handle; __witness?: unknown }
    const requeues: Record<string, { at: number; reason: string; cause: string; by: string }> = {}
    const left: Record<string, number> = {}
    let known = new Set(w.__mindos.peers())
    const look = (): void => {
      for (const [taskId, entry] of Object.entries(w.__mindos.records())) {
        for (const rec of Object.values(entry.requeues)) requeues[`${taskId}:${rec.attempt}`] ??= { at: Date.now(), reason: rec.reason, cause: rec.cause, by: rec.by }
      }
      const now = new Set(w.__mindos.peers())
      for (const id of known) if (!now.has(id)) left[id] ??= Date.now()
      for (const id of now) known.add(id)
      known = new Set([...known])
    }
    // A message-driven loop, not only a timer, so a throttled timer cannot delay the record much.
    w.__mindos.board.onChange(look)
    setInterval(look, 50)
    w.__witness = { requeues, left }
  })
}

export interface WitnessRecord {
  readonly requeues: Record<string, { at: number; reason: string; cause: string; by: string }>
  readonly left: Record<string, number>
}

export async function witness(page: Page): Promise<WitnessRecord> {
  return page.evaluate(() => (window as unknown as { __witness: WitnessRecord }).__witness)
}

/** Waits until `page` shows a step running on another tab and returns it with its holder's index. */
export async function runningStep(watcher: Page, ids: readonly string[], kind = 'plan'): Promise<{ step: GraphNode; holder: number }> {
  let found: GraphNode | undefined
  await expect
    .poll(async () => {
      found = (await graphNodes(watcher)).find((n) => n.kind === kind && n.status === 'running' && ids.includes(n.assignee))
      return found !== undefined
    }, { timeout: 120_000 })
    .toBe(true)
  return { step: found!, holder: ids.indexOf(found!.assignee) }
}

const MEASUREMENTS = path.join(repoRoot, '.cache', 'failover-measurements.json')

export interface Measurement {
  readonly scenario: string
  /** Action → a surviving tab wrote or received the requeue of the held step. */
  readonly requeueMs: number | null
  /** Action → the tab left the surviving tab's peer list (null: it did not within the test). */
  readonly peerDropMs: number | null
  readonly reason: string
  readonly at: string
}

/** Appends to the measurements file the bench reads; tests never assert on these. */
export function recordMeasurement(m: Measurement): void {
  mkdirSync(path.dirname(MEASUREMENTS), { recursive: true })
  let all: Record<string, Measurement> = {}
  try {
    all = JSON.parse(readFileSync(MEASUREMENTS, 'utf8')) as Record<string, Measurement>
  } catch {
    // first run
  }
  all[m.scenario] = m
  writeFileSync(MEASUREMENTS, JSON.stringify(all, null, 2))
  console.log(`[failover] ${m.scenario}: requeue ${m.requeueMs ?? '—'} ms, peer-list drop ${m.peerDropMs ?? '—'} ms (${m.reason})`)
}

export function readMeasurements(): Record<string, Measurement> {
  try {
    return JSON.parse(readFileSync(MEASUREMENTS, 'utf8')) as Record<string, Measurement>
  } catch {
    return {}
  }
}

/**
 * Freezes a page's JavaScript the way a frozen tab is frozen: nothing on its
 * main thread runs (timers, messages, lease beats), while its WebRTC stack
 * and workers stay up. Returns the thaw.
 */
export async function freeze(page: Page): Promise<() => Promise<void>> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Debugger.enable')
  await cdp.send('Debugger.pause')
  return async () => {
    await cdp.send('Debugger.resume')
    await cdp.send('Debugger.disable')
  }
}
