/**
 * Attacks by a real hostile client (client.ts, stock yjs + y-webrtc) on a
 * room of honest tabs, as reusable scenarios that return what the honest
 * tabs showed. Specs assert on the observations; the scenarios themselves
 * assert nothing about the outcome, only wait for the attack to have arrived.
 */
import { expect, type Page } from '@playwright/test'
import { expectHostileSynced, launchHostile, type Hostile } from './launch'
import {
  boardDistrusted, boardRejections, boardStats, finalAnswers, junkInRecords, forgedTextShown, honestRecordCount, junkChars, listedTasks, rejections, reloadAll, selfId, sentinelSeen, submitAndAwait, SLOW,
  type BoardRejection, type HonestRoom, type ListedTask, type Rejection,
} from './honest'
import { FORGED_JUNK, FORGED_MARKERS, FORGED_RESULT, FORGED_TASK } from './names'

export { FORGED_JUNK, FORGED_RESULT, FORGED_TASK }

export async function joinHostile(room: HonestRoom): Promise<Hostile> {
  return launchHostile({ signaling: room.server.signalingUrl, room: room.room, ...(room.key ? { password: room.key } : {}) })
}

/** Whether a later step answered, with the reason when it did not (a scenario observes, it does not throw). */
async function answered(room: HonestRoom, title: string): Promise<{ ok: boolean; error?: string }> {
  try {
    await submitAndAwait(room.peers[0]!.page, room.peers.map((p) => p.page), title)
    return { ok: true }
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message.split('\n')[0] : String(err) }
  }
}

export interface TabView {
  readonly tasks: readonly ListedTask[]
  readonly forgedShown: readonly string[]
  /** task id → the final answer it shows when selected. */
  readonly answers: Readonly<Record<string, string | null>>
  /** board.stats() when the view was taken, and again once it was read (repairs climbing between them: a repair loop). */
  readonly stats: readonly { records: number; repairs: number; pendingWrites: number }[]
}

export interface RewriteEraseObservations {
  readonly tasksBefore: readonly string[]
  /** Per tab, the answers shown before any attack. */
  readonly answersBefore: readonly Readonly<Record<string, string | null>>[]
  /** The hostile page's own node id (its real key signed the signAsSelf records). */
  readonly hostileNode: string
  /** What the hostile client wrote, for the report. */
  readonly attacks: Readonly<Record<string, unknown>>
  /** Whether every honest doc received each attack's final update (else the views after it may predate it). */
  readonly arrived: { readonly rewrite: boolean; readonly erase: boolean; readonly reload: boolean }
  /** After every record was rewritten, replayed elsewhere and re-signed by the hostile key (nothing deleted yet). */
  readonly afterRewrite: readonly TabView[]
  /** After every address was deleted, roots forged under honest ids and junk written. */
  readonly afterErase: readonly TabView[]
  readonly afterReload: readonly TabView[]
  /** Per tab, junk entries (non-addresses, non-strings, oversized; `key = value`, cut short) its doc still holds once removal had 30 s. */
  readonly junkLeft: readonly (readonly string[])[]
  /** Per tab, board.rejections() and board.distrusted() after the erase (before the reload). */
  readonly rejections: readonly (readonly BoardRejection[])[]
  readonly distrusted: readonly Readonly<Record<string, string>>[]
  readonly newTask: { ok: boolean; error?: string }
  /** Per tab, uncaught page errors and console errors seen during the whole scenario. */
  readonly pageErrors: readonly (readonly string[])[]
  /** Per tab, the board's log lines during the attacks (before the reload). */
  readonly boardLog: readonly (readonly string[])[]
}

/** Progress in the test's output, so a stuck step is named. */
const step = (what: string): void => console.log(`[hostile scenario ${new Date().toISOString().slice(11, 19)}] ${what}`)

/** The board's and trust layer's log lines of each tab since `from` (per-tab indexes into peer.logs). */
const boardLogs = (room: HonestRoom, from: readonly number[]): string[][] => room.peers.map((p, i) => p.logs.slice(from[i]).filter((l) => /\[swarm:(board|trust)\]/.test(l)).slice(0, 40))

const view = async (page: Page): Promise<TabView> => {
  const first = await boardStats(page)
  const v = { tasks: await listedTasks(page), forgedShown: await forgedTextShown(page, FORGED_MARKERS), answers: await finalAnswers(page) }
  return { ...v, stats: [first, await boardStats(page)] }
}
const views = async (room: HonestRoom): Promise<TabView[]> => Promise.all(room.peers.map((p) => view(p.page)))

/** Marks the end of an attack and waits until every honest doc holds the mark (false after 60 s). */
async function attackArrived(room: HonestRoom, hostile: Hostile, mark: string, send = true): Promise<boolean> {
  if (send) await hostile.call('sentinel', mark)
  try {
    for (const p of room.peers) await expect.poll(() => sentinelSeen(p.page), { timeout: 60_000 }).toBe(mark)
    return true
  } catch {
    return false
  }
}

/** Waits until the hostile client has every record the first honest tab has (its attacks then cover the whole board). */
async function hostileHasBoard(room: HonestRoom, hostile: Hostile): Promise<void> {
  const page = room.peers[0]!.page
  await expectHostileSynced(hostile, room.peers.length, await honestRecordCount(page), (await listedTasks(page)).length)
}

/**
 * Two answered tasks; then the hostile client rewrites, replays and
 * re-signs every record (observed), deletes every address, forges roots
 * under honest ids and writes junk (observed), and every honest tab reloads
 * (observed); last, a new task.
 */
export async function rewriteEraseScenario(room: HonestRoom, hostile: Hostile): Promise<RewriteEraseObservations> {
  const pages = room.peers.map((p) => p.page)
  const errorsAt = room.peers.map((p) => p.errors.length)
  const tasksBefore = [await submitAndAwait(pages[0]!, pages, 'Why is the sky blue'), await submitAndAwait(pages[1 % pages.length]!, pages, 'How do tides work')]
  const answersBefore = await Promise.all(pages.map(finalAnswers))
  step('two tasks answered')
  await hostileHasBoard(room, hostile)
  step('hostile client holds the board')
  const logsAt = room.peers.map((p) => p.logs.length)
  const victim = await selfId(pages[0]!)
  const rewritten = await hostile.call('rewriteRecords')
  const replayed = await hostile.call('replayRecords')
  const signed = await hostile.call('signAsSelf')
  step('rewrite, replay and re-sign written')
  const rewrite = await attackArrived(room, hostile, 'rewrite')
  step(`rewrite arrived: ${rewrite}`)
  const afterRewrite = await views(room)
  step('observed after the rewrite')
  const deleted = await hostile.call('deleteAll')
  const forged = await hostile.call('forgeRoots', victim)
  const junk = await hostile.call('junkRecords')
  step('erase, forged roots and junk written')
  const erase = await attackArrived(room, hostile, 'erase')
  step(`erase arrived: ${erase}`)
  const afterErase = await views(room)
  step('observed after the erase')
  const junkLeft = await Promise.all(
    pages.map(async (p) => {
      await expect.poll(async () => (await junkInRecords(p)).length, { timeout: 30_000 }).toBe(0).catch(() => undefined)
      return junkInRecords(p)
    }),
  )
  const rejectionsPerTab = await Promise.all(pages.map(boardRejections))
  const distrusted = await Promise.all(pages.map(boardDistrusted))
  const boardLog = boardLogs(room, logsAt)
  await reloadAll(room)
  step('honest tabs reloaded')
  const reload = await attackArrived(room, hostile, 'erase', false)
  step(`sentinel back after the reload: ${reload}`)
  const afterReload = await views(room)
  step('observed after the reload')
  return {
    tasksBefore,
    answersBefore,
    hostileNode: signed.node,
    attacks: { rewritten, replayed, signed, deleted, forged, junk },
    arrived: { rewrite, erase, reload },
    afterRewrite,
    afterErase,
    afterReload,
    junkLeft,
    rejections: rejectionsPerTab,
    distrusted,
    newTask: await answered(room, 'A task after the attack'),
    pageErrors: room.peers.map((p, i) => p.errors.slice(errorsAt[i])),
    boardLog,
  }
}

export interface SybilObservations {
  readonly tasksBefore: readonly string[]
  readonly answersBefore: readonly Readonly<Record<string, string | null>>[]
  readonly sybils: readonly string[]
  readonly written: number
  readonly arrived: boolean
  readonly after: readonly TabView[]
  readonly rejections: readonly (readonly BoardRejection[])[]
  readonly boardLog: readonly (readonly string[])[]
  readonly newTask: { ok: boolean; error?: string }
}

/** One answered task; then `keys` fresh hostile keys each sign a backdated claim, a lease and a forged result for every honest attempt. */
export async function sybilScenario(room: HonestRoom, hostile: Hostile, keys: number): Promise<SybilObservations> {
  const pages = room.peers.map((p) => p.page)
  const tasksBefore = [await submitAndAwait(pages[0]!, pages, 'What makes a rainbow')]
  const answersBefore = await Promise.all(pages.map(finalAnswers))
  await hostileHasBoard(room, hostile)
  const logsAt = room.peers.map((p) => p.logs.length)
  const { nodes, written } = await hostile.call('sybil', keys)
  const arrived = await attackArrived(room, hostile, 'sybil')
  const after = await views(room)
  return {
    tasksBefore,
    answersBefore,
    sybils: nodes,
    written,
    arrived,
    after,
    rejections: await Promise.all(pages.map(boardRejections)),
    boardLog: boardLogs(room, logsAt),
    newTask: await answered(room, 'A task after the sybils'),
  }
}

export interface OldNodesObservations {
  readonly tasksBefore: readonly string[]
  readonly arrived: boolean
  /** Entries the hostile client's old `nodes` map holds after its write. */
  readonly oldEntries: number
  readonly after: readonly TabView[]
  /** Per tab: the board notice the header shows (the older unsigned board it was told about), or null. */
  readonly boardNotice: readonly (string | null)[]
  readonly newTask: { ok: boolean; error?: string }
  readonly pageErrors: readonly (readonly string[])[]
}

/** One answered task; then the hostile client writes a schema-v2 board (a forged root, junk) into the old `nodes` map. */
export async function oldNodesScenario(room: HonestRoom, hostile: Hostile): Promise<OldNodesObservations> {
  const pages = room.peers.map((p) => p.page)
  const errorsAt = room.peers.map((p) => p.errors.length)
  const tasksBefore = [await submitAndAwait(pages[0]!, pages, 'Why do cats purr')]
  await hostileHasBoard(room, hostile)
  const oldEntries = await hostile.call('overwriteOldNodes', await selfId(pages[0]!))
  const arrived = await attackArrived(room, hostile, 'old-nodes')
  const after = await views(room)
  const boardNotice = await Promise.all(pages.map(async (p) => ((await p.getByTestId('board-notice').isVisible()) ? await p.getByTestId('board-notice').textContent() : null)))
  return {
    tasksBefore,
    arrived,
    oldEntries,
    after,
    boardNotice,
    newTask: await answered(room, 'A task after the old board'),
    pageErrors: room.peers.map((p, i) => p.errors.slice(errorsAt[i])),
  }
}

export interface FloodObservations {
  readonly written: number
  readonly elapsedMs: number
  /** Junk characters each honest doc holds once the hostile peer is cut off. */
  readonly junkPerTab: readonly number[]
  readonly rejectionsPerTab: readonly (readonly Rejection[])[]
  /** Rejections of honest tabs by honest tabs (relayed junk counted against the relay). */
  readonly honestRejected: number
  readonly tasksAfter: readonly (readonly ListedTask[])[]
  readonly forgedShown: readonly (readonly string[])[]
  readonly newTask: { ok: boolean; error?: string }
}

export type Flood =
  | { readonly kind: 'bytes'; readonly total: number }
  | { readonly kind: 'oversized'; readonly bytes: number }
  | { readonly kind: 'messages'; readonly count: number }

function startFlood(hostile: Hostile, flood: Flood): Promise<number> {
  if (flood.kind === 'bytes') return hostile.call('junk', flood.total)
  if (flood.kind === 'oversized') return hostile.call('oversized', flood.bytes)
  return hostile.call('floodUpdates', flood.count)
}

/** One answered task, then the hostile client floods; observed once every honest tab has cut it off (or 90 s passed). */
export async function floodScenario(room: HonestRoom, hostile: Hostile, flood: Flood): Promise<FloodObservations> {
  const pages = room.peers.map((p) => p.page)
  await submitAndAwait(pages[0]!, pages, 'What makes bread rise')
  await hostileHasBoard(room, hostile)
  const started = Date.now()
  const writing = startFlood(hostile, flood)
  const cutOff = async (): Promise<void> => {
    for (const p of pages) await expect.poll(async () => (await rejections(p)).some((r) => r.distrustedUntil !== null && r.node === null), { timeout: 90_000 }).toBe(true)
  }
  await cutOff().catch(() => undefined)
  const written = await writing
  const elapsedMs = Date.now() - started
  const junkPerTab = await Promise.all(pages.map(junkChars))
  const rejectionsPerTab = await Promise.all(pages.map(rejections))
  const honestRejected = rejectionsPerTab.flat().filter((r) => r.node !== null).length
  const newTask = await answered(room, 'A task after the flood')
  return {
    written,
    elapsedMs,
    junkPerTab,
    rejectionsPerTab,
    honestRejected,
    tasksAfter: await Promise.all(pages.map(listedTasks)),
    forgedShown: await Promise.all(pages.map((p) => forgedTextShown(p, ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa']))),
    newTask,
  }
}

export { SLOW }
