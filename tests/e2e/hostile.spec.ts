/**
 * A real hostile client (tests/e2e/hostile/client.ts: stock yjs + y-webrtc,
 * no code of ours, no presence) in its own Chromium process, against two
 * honest tabs of our app in processes of their own. What is defended today
 * is the transport: floods are cut off by the caps (src/mesh/transport-caps.ts)
 * and the honest tabs go on working. Rewrite and erase are scenarios in
 * hostile/scenarios.ts, to be asserted once the board is signed.
 */
import { test, expect } from '@playwright/test'
import { openHonestRoom, type HonestRoom } from './hostile/honest'
import { floodScenario, joinHostile, type FloodObservations } from './hostile/scenarios'
import type { Hostile } from './hostile/launch'

test.setTimeout(420_000)

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
