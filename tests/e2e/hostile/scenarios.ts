/**
 * Attacks by a real hostile client (client.ts, stock yjs + y-webrtc) on a
 * room of honest tabs, as reusable scenarios that return what the honest
 * tabs showed. Specs assert on the observations; the scenarios themselves
 * assert nothing about the outcome, only wait for the attack to have arrived.
 */
import { expect } from '@playwright/test'
import { expectHostileSynced, launchHostile, type Hostile } from './launch'
import { forgedTextShown, junkChars, listedTasks, rejections, reloadAll, selfId, sentinelSeen, submitAndAwait, SLOW, type HonestRoom, type ListedTask, type Rejection } from './honest'

export const FORGED_RESULT = 'FORGED-RESULT-by-a-hostile-peer'
export const FORGED_TASK = 'FORGED-TASK-under-an-honest-id'

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
}

export interface RewriteEraseObservations {
  readonly tasksBefore: readonly string[]
  /** Whether every honest doc received each attack's final update (else the views after it may predate it). */
  readonly arrived: { readonly rewrite: boolean; readonly erase: boolean; readonly reload: boolean }
  /** After every result was rewritten (nothing deleted yet, so the forged answers can be seen). */
  readonly afterRewrite: readonly TabView[]
  /** After every root was deleted and a task forged under an honest id. */
  readonly afterErase: readonly TabView[]
  readonly afterReload: readonly TabView[]
  readonly newTask: { ok: boolean; error?: string }
}

const views = async (room: HonestRoom): Promise<TabView[]> =>
  Promise.all(room.peers.map(async (p) => ({ tasks: await listedTasks(p.page), forgedShown: await forgedTextShown(p.page, [FORGED_RESULT, FORGED_TASK]) })))

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

/**
 * Two answered tasks; then the hostile client rewrites every result
 * (observed), deletes every root and adds a task under the first honest
 * tab's id (observed), and every honest tab reloads (observed).
 */
export async function rewriteEraseScenario(room: HonestRoom, hostile: Hostile): Promise<RewriteEraseObservations> {
  const pages = room.peers.map((p) => p.page)
  const tasksBefore = [await submitAndAwait(pages[0]!, pages, 'Why is the sky blue'), await submitAndAwait(pages[1 % pages.length]!, pages, 'How do tides work')]
  await expectHostileSynced(hostile, room.peers.length, (await listedTasks(pages[0]!)).length)
  const victim = await selfId(pages[0]!)
  await hostile.call('rewriteResults', FORGED_RESULT)
  const rewrite = await attackArrived(room, hostile, 'rewrite')
  const afterRewrite = await views(room)
  await hostile.call('deleteRoots')
  await hostile.call('forgeUnderId', victim, 'honest tab', FORGED_TASK)
  const erase = await attackArrived(room, hostile, 'erase')
  const afterErase = await views(room)
  await reloadAll(room)
  const reload = await attackArrived(room, hostile, 'erase', false)
  const afterReload = await views(room)
  return { tasksBefore, arrived: { rewrite, erase, reload }, afterRewrite, afterErase, afterReload, newTask: await answered(room, 'A task after the attack') }
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
  await expectHostileSynced(hostile, room.peers.length, (await listedTasks(pages[0]!)).length)
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
