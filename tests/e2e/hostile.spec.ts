/**
 * A real hostile client (tests/e2e/hostile/client.ts: stock yjs + y-webrtc
 * and WebCrypto, no code of ours, no presence) in its own Chromium process,
 * against two honest tabs of our app in processes of their own.
 *   - The signed board: it rewrites, replays, re-signs (with its own real
 *     key), erases and junks every record, forges roots under honest ids, and
 *     writes a schema-v2 board into the old `nodes` map. The honest tabs must
 *     show no forged text, keep every task (also after a reload) and answer a
 *     new one.
 *   - The transport: floods are cut off by the caps (src/mesh/transport-caps.ts)
 *     and the honest tabs go on working.
 */
import { test, expect } from '@playwright/test'
import { openHonestRoom, type HonestRoom } from './hostile/honest'
import { floodScenario, joinHostile, oldNodesScenario, rewriteEraseScenario, sybilScenario, type FloodObservations, type TabView } from './hostile/scenarios'
import type { Hostile } from './hostile/launch'

test.setTimeout(600_000)

async function withRoom(body: (room: HonestRoom, hostile: Hostile) => Promise<void>): Promise<void> {
  const room = await openHonestRoom(2)
  let hostile: Hostile | undefined
  try {
    hostile = await joinHostile(room)
    await body(room, hostile)
  } finally {
    await room.close(hostile?.close)
  }
}

/** Observations for the log, long texts (answers) cut short. */
const brief = (o: unknown): string => JSON.stringify(o, (_k, v: unknown) => (typeof v === 'string' && v.length > 120 ? `${v.slice(0, 100)}… (${v.length} chars)` : v))

const uncaught = (errors: readonly string[]): string[] => errors.filter((e) => e.startsWith('pageerror:'))

/** Every tab lists exactly the tasks from before, all done, shows their real answers and none of the forged text. */
function expectBoardIntact(stage: string, views: readonly TabView[], tasksBefore: readonly string[], answersBefore: readonly Readonly<Record<string, string | null>>[]): void {
  views.forEach((v, tab) => {
    expect(v.forgedShown, `tab ${tab} ${stage}: forged text shown`).toEqual([])
    expect(v.tasks.map((t) => t.id).sort(), `tab ${tab} ${stage}: listed tasks`).toEqual([...tasksBefore].sort())
    expect(v.tasks.map((t) => t.status), `tab ${tab} ${stage}: task status`).toEqual(tasksBefore.map(() => 'done'))
    for (const id of tasksBefore) expect(v.answers[id], `tab ${tab} ${stage}: answer of ${id}`).toBe(answersBefore[tab]![id])
  })
}

test('a hostile peer rewrites, replays, re-signs and erases every record, forges roots and writes junk: the honest tabs show no forged text, keep every task across a reload, count the junk and answer a new task', async () => {
  await withRoom(async (room, hostile) => {
    const o = await rewriteEraseScenario(room, hostile)
    console.log('rewrite/erase:', brief(o))
    expect(o.arrived, 'every attack reached every honest doc').toEqual({ rewrite: true, erase: true, reload: true })
    for (const answers of o.answersBefore) for (const id of o.tasksBefore) expect(answers[id], 'each task showed an answer before the attack').toBeTruthy()
    const a = o.attacks as { rewritten: { records: number }; replayed: number; signed: { written: number }; deleted: number; forged: string[]; junk: number }
    expect(a.rewritten.records, 'records rewritten').toBeGreaterThan(0)
    expect(a.replayed).toBeGreaterThan(0)
    expect(a.signed.written).toBeGreaterThan(0)
    expect(a.deleted, 'addresses deleted').toBeGreaterThan(0)
    expect(a.forged.length).toBeGreaterThan(0)

    expectBoardIntact('after the rewrite', o.afterRewrite, o.tasksBefore, o.answersBefore)
    expectBoardIntact('after the erase', o.afterErase, o.tasksBefore, o.answersBefore)
    expectBoardIntact('after the reload', o.afterReload, o.tasksBefore, o.answersBefore)
    expect(o.newTask, 'a new task is answered after the attack').toEqual({ ok: true })

    o.rejections.forEach((rows, tab) => {
      const total = rows.reduce((n, r) => n + Object.values(r.reasons).reduce((m, c) => m + c, 0), 0)
      expect(total, `tab ${tab}: forged and junk records are counted`).toBeGreaterThan(0)
      // The junk identifies nobody: it is counted against the Yjs client that wrote it.
      expect(rows.some((r) => r.writer.startsWith('client:')), `tab ${tab}: junk counted against its Yjs client`).toBe(true)
    })
    expect(o.junkLeft, 'junk is removed from every honest doc').toEqual(o.junkLeft.map(() => []))
    // Two different results signed by one key for one slot: every tab distrusts that key.
    for (const d of o.distrusted) expect(Object.keys(d)).toContain(o.hostileNode)
    o.pageErrors.forEach((errors, tab) => expect(uncaught(errors), `tab ${tab}: uncaught errors`).toEqual([]))
  })
})

test('sybil keys that never equivocate, each a backdated claimant with a lease and a forged result for every honest attempt: the honest tabs keep the real answers', async () => {
  // Each root lists the keys its submitter had seen, and they outrank keys made later (authorize.ts): a fresh
  // key that signs a claim and a lease for an attempt an honest tab completed cannot become its winner after
  // the fact. (Before that rule, the honest tabs' answers disappeared until redone; before authorize.ts, a
  // sybil's forged result was shown as the final answer.)
  await withRoom(async (room, hostile) => {
    const o = await sybilScenario(room, hostile, 8)
    console.log('sybils:', brief(o))
    expect(o.arrived).toBe(true)
    expect(o.written, 'records the sybils signed').toBeGreaterThan(0)
    expectBoardIntact('after the sybils', o.after, o.tasksBefore, o.answersBefore)
    expect(o.newTask).toEqual({ ok: true })
  })
})

test('a hostile peer writing a schema-v2 board into the old `nodes` map does not crash the honest tabs, shows nothing of it, and they keep answering', async () => {
  await withRoom(async (room, hostile) => {
    const o = await oldNodesScenario(room, hostile)
    console.log('old nodes:', brief(o))
    expect(o.arrived).toBe(true)
    expect(o.oldEntries).toBeGreaterThan(0)
    o.pageErrors.forEach((errors, tab) => expect(uncaught(errors), `tab ${tab}: uncaught errors`).toEqual([]))
    o.after.forEach((v, tab) => {
      expect(v.forgedShown, `tab ${tab}: forged text shown`).toEqual([])
      expect(v.tasks.map((t) => t.id), `tab ${tab}: listed tasks`).toEqual(o.tasksBefore)
      expect(v.tasks.map((t) => t.status)).toEqual(['done'])
    })
    // The contract: a doc holding the old map is labelled as holding an older unsigned board.
    for (const notice of o.boardNotice) expect(notice).toMatch(/older, unsigned board/i)
    expect(o.newTask).toEqual({ ok: true })
  })
})

function expectHonestTabsUnharmed(o: FloodObservations): void {
  expect(o.honestRejected, 'no honest tab cut off another honest tab').toBe(0)
  expect(o.newTask).toEqual({ ok: true })
  for (const tasks of o.tasksAfter) expect(tasks.map((t) => t.status)).toEqual(['done', 'done'])
  for (const shown of o.forgedShown) expect(shown).toEqual([])
}

/** A peer that writes without presence is still counted (node: null) and cut off for a while. */
function expectHostileCutOff(o: FloodObservations, reason: string): void {
  for (const tab of o.rejectionsPerTab) {
    const hostile = tab.filter((r) => r.node === null)
    expect(hostile.length, 'the hostile peer appears in every honest tab\'s rejections').toBeGreaterThan(0)
    expect(hostile.some((r) => (r.byReason[reason] ?? 0) > 0 && r.distrustedUntil !== null)).toBe(true)
  }
}

test('a hostile peer sending a 20 MB update (in chunk frames) is cut off before any of it is applied; the honest tabs keep answering', async () => {
  await withRoom(async (room, hostile) => {
    const o = await floodScenario(room, hostile, { kind: 'oversized', bytes: 20 * 1024 * 1024 })
    console.log('oversized update:', JSON.stringify({ ...o, tasksAfter: undefined }))
    expect(o.written, 'sent to both honest tabs').toBe(2)
    expectHostileCutOff(o, 'too-large')
    expect(o.junkPerTab).toEqual([0, 0])
    expectHonestTabsUnharmed(o)
  })
})

test('a hostile peer flooding 5,000 tiny updates is cut off at the message-rate cap; the honest tabs keep answering', async () => {
  await withRoom(async (room, hostile) => {
    const o = await floodScenario(room, hostile, { kind: 'messages', count: 5_000 })
    console.log('update flood:', JSON.stringify({ ...o, tasksAfter: undefined }))
    expectHostileCutOff(o, 'message-rate')
    expectHonestTabsUnharmed(o)
  })
})
