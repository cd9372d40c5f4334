/**
 * The honest side of the hostile-client scenarios: a room of our app's tabs
 * (separate Chromium processes, simulated engine) and what a person, or the
 * page's own diagnostics (window.__mindos), can observe in them.
 */
import { expect, type Page } from '@playwright/test'
import { closeAll, expectPeerCount, launchPeer, reopen, startServer, uniqueRoom, type Peer } from '../harness'
import type { SwarmServer } from '../../../signaling-server/server'
import { JUNK_MAP, RECORDS_MAP, SENTINEL_MAP } from './names'

export interface HonestRoom {
  readonly server: SwarmServer
  readonly peers: Peer[]
  readonly room: string
  readonly key: string | undefined
  readonly url: string
  close(extra?: () => Promise<void>): Promise<void>
}

export interface ListedTask {
  readonly id: string
  readonly status: string
  readonly text: string
}

export interface Rejection {
  readonly source: string
  readonly node: string | null
  readonly total: number
  readonly byReason: Record<string, number>
  readonly distrustedUntil: number | null
}

/** A click or read on an element that is listed right now: if it takes longer, the page is stuck (fail, don't hang). */
const ACTION = 15_000

/** Long: five agents share two cores, and each honest tab runs its own Chromium. */
export const SLOW = 180_000

export async function openHonestRoom(n: number, opts: { key?: string; simTps?: number } = {}): Promise<HonestRoom> {
  const server = await startServer()
  const room = uniqueRoom('hostile')
  const url = `${server.url}/?engine=sim&simTps=${opts.simTps ?? 400}&seed=1#room=${room}${opts.key ? `&key=${opts.key}` : ''}`
  const peers: Peer[] = []
  const close = async (extra?: () => Promise<void>): Promise<void> => {
    await extra?.().catch(() => undefined)
    await closeAll(peers, server)
  }
  try {
    peers.push(...(await Promise.all(Array.from({ length: n }, () => launchPeer()))))
    await Promise.all(peers.map((p) => p.page.goto(url)))
    for (const p of peers) await honestReady(p.page, n - 1)
  } catch (err) {
    await close()
    throw err
  }
  return { server, peers, room, key: opts.key, url, close }
}

export async function honestReady(page: Page, otherPeers: number): Promise<void> {
  await expectPeerCount(page, otherPeers)
  await expect(page.getByTestId('engine-status')).toHaveAttribute('data-state', 'ready', { timeout: SLOW })
}

/** Submits a task on `page`; resolves with its id once every page lists it as done. */
export async function submitAndAwait(page: Page, pages: readonly Page[], title: string): Promise<string> {
  await page.getByTestId('task-input').fill(title)
  await page.getByTestId('task-submit').click()
  const item = page.getByTestId('task').filter({ hasText: title })
  await expect(item).toHaveCount(1)
  const id = (await item.getAttribute('data-task-id')) ?? ''
  for (const p of pages) await expect(p.locator(`[data-testid="task"][data-task-id="${id}"]`)).toHaveAttribute('data-status', 'done', { timeout: SLOW })
  return id
}

export async function listedTasks(page: Page): Promise<ListedTask[]> {
  return page.getByTestId('task').evaluateAll((els) => els.map((e) => ({ id: e.getAttribute('data-task-id') ?? '', status: e.getAttribute('data-status') ?? '', text: (e.textContent ?? '').slice(0, 200) })))
}

/** Opens every listed task and every node of its graph, and reports which of `markers` the page shows anywhere, attributes included. */
export async function forgedTextShown(page: Page, markers: readonly string[]): Promise<string[]> {
  const seen = new Set<string>()
  const check = async (): Promise<void> => {
    const html = await page.content()
    for (const m of markers) if (html.includes(m)) seen.add(m)
  }
  await check()
  for (const t of await listedTasks(page)) {
    await page.locator(`[data-testid="task"][data-task-id="${t.id}"]`).click({ timeout: ACTION })
    await check()
    const nodes = await page.getByTestId('graph-node').evaluateAll((els) => els.map((e) => e.getAttribute('data-task-id') ?? ''))
    for (const id of nodes) {
      // The graph pans and zooms: a box may be outside the viewport, so click it from script.
      await page.locator(`[data-testid="graph-node"][data-task-id="${id}"]`).evaluate((el) => (el as HTMLElement).click(), undefined, { timeout: ACTION }).catch(() => undefined)
      await check()
    }
  }
  return [...seen]
}

/** The final answer each listed task shows when selected (task id → text; null: no answer shown). */
export async function finalAnswers(page: Page): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {}
  for (const t of await listedTasks(page)) {
    await page.locator(`[data-testid="task"][data-task-id="${t.id}"]`).click({ timeout: ACTION })
    // The answer panel renders on the next frame: read it once it shows this task, not the one shown before.
    const answer = page.locator(`[data-testid="final-answer"][data-task-id="${t.id}"]`)
    const shown = t.status === 'done' ? await answer.waitFor({ state: 'visible', timeout: ACTION }).then(() => true, () => false) : false
    out[t.id] = shown ? await answer.textContent({ timeout: ACTION }).catch(() => null) : null
  }
  return out
}

/** The board's refusals (signed-board contract): per writer (signer node id, or `client:<yjs clientID>`), counts by reason. */
export interface BoardRejection {
  readonly writer: string
  readonly reasons: Readonly<Record<string, number>>
}

export async function boardRejections(page: Page): Promise<BoardRejection[]> {
  return page.evaluate(() => (window as unknown as { __mindos: { board: { rejections: () => BoardRejection[] } } }).__mindos.board.rejections())
}

/** The board's counters: records indexed and records it put back (a count that keeps climbing while nobody attacks is a repair loop). */
export async function boardStats(page: Page): Promise<{ records: number; repairs: number; pendingWrites: number }> {
  return page.evaluate(() => (window as unknown as { __mindos: { board: { stats: () => { records: number; repairs: number; pendingWrites: number } } } }).__mindos.board.stats())
}

/** Keys the board distrusts for good (equivocation), with why. */
export async function boardDistrusted(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => Object.fromEntries((window as unknown as { __mindos: { board: { distrusted: () => ReadonlyMap<string, string> } } }).__mindos.board.distrusted()))
}

export async function rejections(page: Page): Promise<Rejection[]> {
  return page.evaluate(() => (window as unknown as { __mindos: { mesh: () => { rejections: Rejection[] } } }).__mindos.mesh().rejections)
}

export async function selfId(page: Page): Promise<string> {
  return (await page.getByTestId('self-id').textContent()) ?? ''
}

/** Characters of hostile junk (client.ts JUNK_MAP) this tab's doc holds. */
export async function junkChars(page: Page): Promise<number> {
  return page.evaluate((name) => {
    const doc = (window as unknown as { __mindos: { doc: { getMap: (n: string) => Map<string, unknown> } } }).__mindos.doc
    let n = 0
    for (const v of doc.getMap(name).values()) n += typeof v === 'string' ? v.length : 8
    return n
  }, JUNK_MAP)
}

/** Entries of the signed board's records map in this tab's doc. */
export async function honestRecordCount(page: Page): Promise<number> {
  return page.evaluate((name) => (window as unknown as { __mindos: { doc: { getMap: (n: string) => Map<string, unknown> } } }).__mindos.doc.getMap(name).size, RECORDS_MAP)
}

/**
 * Entries of this tab's records map that no reader could take for a record:
 * a key that is no address (52 base32 characters, or `lease|partial|requeue/<task>/<attempt>/<node>`),
 * a value that is not a string, is over the envelope size limit, or cannot be canonical envelope text
 * (which, keys sorted, always starts `{"attempt":`). README: junk is removed from the doc.
 */
export async function junkInRecords(page: Page): Promise<string[]> {
  return page.evaluate((name) => {
    const doc = (window as unknown as { __mindos: { doc: { getMap: (n: string) => Map<string, unknown> } } }).__mindos.doc
    const address = /^([a-z2-7]{52}|(lease|partial|requeue)\/[a-z0-9-]{4,96}\/\d{1,7}\/[a-z0-9-]{4,64})$/
    const junk: string[] = []
    for (const [k, v] of doc.getMap(name)) {
      if (!address.test(k) || typeof v !== 'string' || v.length > 128 * 1024 || !v.startsWith('{"attempt":')) junk.push(`${k.slice(0, 80)} = ${typeof v === 'string' ? v.slice(0, 80) : typeof v}`)
    }
    return junk
  }, RECORDS_MAP)
}

export async function sentinelSeen(page: Page): Promise<string | null> {
  return page.evaluate((name) => {
    const doc = (window as unknown as { __mindos: { doc: { getMap: (n: string) => Map<string, unknown> } } }).__mindos.doc
    const v = doc.getMap(name).get('last')
    return typeof v === 'string' ? v : null
  }, SENTINEL_MAP)
}

/** Reloads every honest tab (same profile, so the same IndexedDB) and waits until it is back in the mesh. */
export async function reloadAll(room: HonestRoom): Promise<void> {
  for (const p of room.peers) await reopen(p, room.url)
  for (const p of room.peers) await honestReady(p.page, room.peers.length - 1)
}
