/**
 * The signed board: what a tab writes is signed, what it reads is verified
 * and authorized, and what a hostile writer does to the doc (forge, rewrite,
 * erase, junk, replay, equivocate) changes nothing any honest tab shows.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { BoardInputError, PLAN_MAX_ATTEMPTS, validatePrompt, type Board } from '../../src/board/board'
import { DAG_SCHEMA_VERSION, LEGACY_NODES_KEY, MAX_PROMPT_LENGTH, type TaskId, type TaskStatic } from '../../src/board/dag-schema'
import { addressOf, recordFields, RECORDS_KEY, slotAddress, type BoardRecord } from '../../src/board/record-codec'
import { seededRandom } from '../../src/clock'
import { deriveBoard, isTerminal } from '../../src/scheduler/derive'
import { resultWrites } from '../../src/scheduler/task-io'
import { canonicalJson } from '../../src/trust/canonical'
import { signEnvelope } from '../../src/trust/envelope'
import { memoryEnvelopeStorage, VerifiedStore } from '../../src/trust/verified-store'
import { claim, lease, requeue, result, roleOutput, staticTask, summary, threeSteps, tid, twoSteps } from './task-fixtures'
import { linkDocs, NA, NB, NC, ROOM, settled, signedBoard, testNode, type TestNode } from './signed-fixtures'

const records = (doc: Y.Doc) => doc.getMap<unknown>(RECORDS_KEY)

/** Signs a record as `node` would and stores it where it belongs, bypassing any board (a peer's own client). */
async function writeSigned(doc: Y.Doc, node: TestNode, record: BoardRecord, room = ROOM, ts = 1): Promise<{ address: string; text: string }> {
  const s = await signEnvelope(node.signer, recordFields(room, record, ts))
  const address = addressOf(s.envelope, s.hash)
  records(doc).set(address, s.text)
  return { address, text: s.text }
}

/** A root and plan by A, and a plan result by A that creates two steps. */
async function answeredPlan(board: Board): Promise<{ root: TaskStatic; plan: TaskId; steps: TaskStatic[] }> {
  const root = board.submit('Compare sorting algorithms', NA.me)
  const plan = tid(`${root.id}-plan`)
  const d = deriveBoard(board.snapshot()).get(plan)!
  const w = resultWrites(d, roleOutput('p', { plan: twoSteps }), NA.me, 1, 2)
  board.addClaim(plan, claim(NA.id))
  board.addLease(plan, lease(NA.id))
  board.addResult(plan, w.result, w.children)
  await settled(board)
  return { root, plan, steps: w.children.filter((c) => c.kind === 'research') }
}

describe('Board.submit', () => {
  it('writes the root and its plan node, signed, in one doc update; ids carry the creator', async () => {
    const { doc, board } = signedBoard(NA)
    const updates: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => updates.push(u))
    const root = board.submit('  Compare CRDT libraries\nin depth  ', NA.me)
    expect(board.snapshot().map((t) => t.kind).sort(), 'visible while still being signed').toEqual(['plan', 'root'])
    await settled(board)
    expect(updates).toHaveLength(1)
    expect(root.id.endsWith(`-${NA.id.slice(0, 12)}`)).toBe(true)
    const tasks = board.snapshot()
    for (const t of tasks) expect(t).toMatchObject({ v: DAG_SCHEMA_VERSION, rootId: root.id, prompt: 'Compare CRDT libraries\nin depth', createdBy: NA.id, createdByName: NA.me.name })
    expect(tasks.find((t) => t.kind === 'plan')).toMatchObject({ id: `${root.id}-plan`, maxAttempts: PLAN_MAX_ATTEMPTS })
    expect([...records(doc).values()].every((v) => typeof v === 'string' && v.includes('"sig":'))).toBe(true)
  })

  it('rejects empty and oversized prompts with BoardInputError and writes nothing', async () => {
    const { doc, board } = signedBoard(NA)
    expect(() => board.submit('   ', NA.me)).toThrow(BoardInputError)
    expect(() => board.submit('x'.repeat(MAX_PROMPT_LENGTH + 1), NA.me)).toThrow(/limit is 4000/)
    expect(validatePrompt(' ok ')).toEqual({ ok: true, value: 'ok' })
    await settled(board)
    expect(records(doc).size).toBe(0)
  })

  it('is read-only without a signing key, with a message for the person', () => {
    const { board } = signedBoard(null)
    expect(board.writable).toBe(false)
    expect(() => board.submit('Task', NA.me)).toThrow(/no signing key/)
  })
})

describe('Board replicas', () => {
  it('show a peer’s records once verified, and tell listeners the change was remote', async () => {
    const a = signedBoard(NA)
    const b = signedBoard(NB)
    const seen: boolean[] = []
    b.board.onChange((local) => seen.push(local))
    linkDocs(a.doc, b.doc)
    const { plan, steps } = await answeredPlan(a.board)
    await settled(a.board, b.board)
    expect(b.board.snapshot().map((t) => t.id).sort()).toEqual(a.board.snapshot().map((t) => t.id).sort())
    expect(b.board.snapshot().find((t) => t.id === plan)?.results.size).toBe(1)
    expect(steps).toHaveLength(2)
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.every((l) => !l)).toBe(true)
  })

  it('keeps one claim per signer and slot: a second claim for the same attempt is not signed (it would be equivocation)', async () => {
    const { doc, board } = signedBoard(NA)
    const root = board.submit('Task', NA.me)
    const plan = tid(`${root.id}-plan`)
    board.addClaim(plan, claim(NA.id))
    board.addClaim(plan, { ...claim(NA.id), name: 'renamed' })
    board.addRequeue(plan, requeue(1, { by: NA.id }))
    board.addRequeue(plan, requeue(1, { by: NA.id, reason: 'again' }))
    await settled(board)
    expect(records(doc).size).toBe(4)
    expect(board.distrusted().size).toBe(0)
  })
})

describe('Board against a hostile writer', () => {
  it('never shows a rewritten result; puts the original back and counts the writer', async () => {
    const a = signedBoard(NA)
    const { plan } = await answeredPlan(a.board)
    const hostile = new Y.Doc()
    linkDocs(a.doc, hostile)
    const [address, text] = [...records(hostile).entries()].find(([, v]) => String(v).includes('"kind":"result"'))! as [string, string]
    const forged = JSON.parse(text) as { payload: { text: string } }
    forged.payload.text = 'FORGED'
    records(hostile).set(address, canonicalJson(forged))
    await settled(a.board)
    const shown = a.board.snapshot().find((t) => t.id === plan)!.results
    expect([...shown.values()].map((r) => r.text).join()).not.toContain('FORGED')
    expect(records(a.doc).get(address)).toBe(text)
    expect(records(hostile).get(address), 'the repair reached the hostile doc too').toBe(text)
    const row = a.board.rejections().find((r) => r.writer === `client:${hostile.clientID}`)
    expect(row?.reasons['bad-signature']).toBe(1)
    expect(a.board.stats().repairs).toBeGreaterThan(0)
  })

  it('puts back every record a peer deleted, and a reload restores from the verified store whatever the doc says', async () => {
    const storage = memoryEnvelopeStorage()
    const store = await VerifiedStore.open(storage, ROOM)
    const a = signedBoard(NA, { store })
    const { root } = await answeredPlan(a.board)
    const before = a.board.snapshot().map((t) => t.id).sort()
    const hostile = new Y.Doc()
    linkDocs(a.doc, hostile)
    hostile.transact(() => {
      for (const k of [...records(hostile).keys()]) records(hostile).delete(k)
    })
    await settled(a.board)
    expect(a.board.snapshot().map((t) => t.id).sort()).toEqual(before)
    expect(records(hostile).size, 'the hostile doc got everything back').toBe(records(a.doc).size)
    // Reload: a fresh doc (as if y-indexeddb persisted the deletion), the same store.
    const reloaded = signedBoard(NA, { store: await VerifiedStore.open(storage, ROOM) })
    await reloaded.board.ready
    await settled(reloaded.board)
    expect(reloaded.board.snapshot().map((t) => t.id).sort()).toEqual(before)
    expect(reloaded.board.snapshot().some((t) => t.id === root.id)).toBe(true)
    expect(records(reloaded.doc).size).toBeGreaterThan(0)
  })

  it('ignores junk keys and values, counts them, and removes them from the doc', async () => {
    const a = signedBoard(NA)
    await answeredPlan(a.board)
    const hostile = new Y.Doc()
    linkDocs(a.doc, hostile)
    const good = a.board.snapshot().length
    hostile.transact(() => {
      records(hostile).set('junk', 'x'.repeat(1000))
      records(hostile).set('a'.repeat(52), 42)
      records(hostile).set('b'.repeat(52), new Y.Map())
      records(hostile).set('c'.repeat(52), '{"not":"an envelope"}')
      records(hostile).set(`lease/${'t'.repeat(10)}/1/${NA.id}`, 'nope')
      hostile.getMap('elsewhere').set('x', 'y'.repeat(10_000))
    })
    await settled(a.board)
    expect(a.board.snapshot()).toHaveLength(good)
    const reasons = a.board.rejections().find((r) => r.writer === `client:${hostile.clientID}`)!.reasons
    expect(Object.keys(reasons).sort()).toEqual(expect.arrayContaining(['junk-key', 'not-text', 'bad-shape']))
    for (const k of ['junk', 'a'.repeat(52), 'b'.repeat(52), 'c'.repeat(52)]) expect(records(a.doc).has(k), k).toBe(false)
  })

  it('ignores a task forged under an honest root id, and a child created by anyone but its origin’s author', async () => {
    const a = signedBoard(NA)
    const { root, plan, steps } = await answeredPlan(a.board)
    const mallory = testNode('mallory')
    await writeSigned(a.doc, mallory, { type: 'task', task: { ...root, title: 'FORGED', createdBy: mallory.id, createdByName: 'mallory' } })
    await writeSigned(a.doc, mallory, { type: 'task', task: { ...steps[0]!, id: tid(`${steps[0]!.id}x`), createdBy: mallory.id } })
    const own = staticTask({ id: tid(`${root.id}-1-${mallory.id}-s1`), rootId: root.id, origin: `${plan}/1:${mallory.id}`, createdBy: mallory.id })
    await writeSigned(a.doc, mallory, { type: 'task', task: own })
    await settled(a.board)
    const tasks = a.board.snapshot()
    expect(tasks.find((t) => t.id === root.id)?.title).not.toBe('FORGED')
    expect(tasks.some((t) => t.id === `${steps[0]!.id}x`)).toBe(false)
    // Mallory may create children of its own (unaccepted) plan result: derivation supersedes them.
    expect(deriveBoard(tasks).get(own.id)?.superseded).toBe(true)
    expect(a.board.rejections().find((r) => r.writer === mallory.id)).toBeDefined()
  })

  it('rejects records that speak for another node than their signer, and replays from another room', async () => {
    const a = signedBoard(NA)
    const { plan } = await answeredPlan(a.board)
    const mallory = testNode('mallory')
    await writeSigned(a.doc, mallory, { type: 'claim', taskId: plan, claim: claim(NA.id, 2) })
    await writeSigned(a.doc, mallory, { type: 'requeue', taskId: plan, requeue: requeue(1, { by: NB.id }) })
    await writeSigned(a.doc, NA, { type: 'claim', taskId: plan, claim: claim(NA.id, 3) }, 'another-room')
    await settled(a.board)
    const t = a.board.snapshot().find((x) => x.id === plan)!
    expect([...t.claims.keys()]).toEqual([`1:${NA.id}`])
    expect(t.requeues.size).toBe(0)
    expect(a.board.rejections().flatMap((r) => Object.keys(r.reasons))).toEqual(expect.arrayContaining(['bad-record', 'wrong-room']))
  })

  it('keeps the newest beat of a lease when an older one is replayed over it', async () => {
    const a = signedBoard(NA)
    const { plan } = await answeredPlan(a.board)
    const old = await writeSigned(a.doc, NB, { type: 'lease', taskId: plan, lease: lease(NB.id, 2, 1) })
    const newer = await writeSigned(a.doc, NB, { type: 'lease', taskId: plan, lease: lease(NB.id, 2, 5) })
    await settled(a.board)
    expect(old.address).toBe(slotAddress('lease', plan, 2, NB.id))
    records(a.doc).set(old.address, old.text)
    await settled(a.board)
    expect(a.board.snapshot().find((t) => t.id === plan)!.leases.get(`2:${NB.id}`)?.beat).toBe(5)
    expect(records(a.doc).get(old.address)).toBe(newer.text)
  })

  it('distrusts a key that signed two different records for one slot, on every replica alike', async () => {
    const a = signedBoard(NA)
    const b = signedBoard(NB)
    const { plan } = await answeredPlan(a.board)
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc))
    const mallory = testNode('mallory')
    const one = await signEnvelope(mallory.signer, recordFields(ROOM, { type: 'claim', taskId: plan, claim: claim(mallory.id, 2) }, 1))
    const two = await signEnvelope(mallory.signer, recordFields(ROOM, { type: 'claim', taskId: plan, claim: { ...claim(mallory.id, 2), name: 'other' } }, 2))
    records(a.doc).set(one.hash, one.text)
    records(a.doc).set(two.hash, two.text)
    records(b.doc).set(two.hash, two.text)
    records(b.doc).set(one.hash, one.text)
    await settled(a.board, b.board)
    for (const x of [a.board, b.board]) {
      expect(x.distrusted().get(mallory.id)).toMatch(/two different claim records/)
      expect([...x.snapshot().find((t) => t.id === plan)!.claims.keys()]).toEqual([`1:${NA.id}`])
    }
  })

  it('labels a doc that still holds the older unsigned board, without reading it', () => {
    const { doc, board } = signedBoard(NA)
    const old = new Y.Map<unknown>()
    doc.getMap(LEGACY_NODES_KEY).set('task-0001', old)
    old.set('kind', 'root')
    expect(board.legacyTaskCount()).toBe(1)
    expect(board.snapshot()).toEqual([])
  })
})

describe('Board replicas converge (seeded random runs)', () => {
  const SYNC = Symbol('sync')

  /** Three writers act on what they have seen, often stale (duplicates as after a partition). Returns every update in write order. */
  async function randomRun(seed: number, steps: number): Promise<Uint8Array[]> {
    const rnd = seededRandom(seed)
    const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rnd.next() * xs.length)]!
    const log: Uint8Array[] = []
    const writers = [NA, NB, NC].map((node, i) => {
      const doc = new Y.Doc()
      doc.clientID = seed * 10 + i + 1
      doc.on('update', (u: Uint8Array, origin: unknown) => origin !== SYNC && log.push(u))
      return { ...signedBoard(node, { doc, seed: seed * 10 + i }), node, seen: 0 }
    })
    writers[0]!.board.submit('Compare sorting algorithms', NA.me)
    for (let step = 0; step < steps; step++) {
      const w = pick(writers)
      await settled(w.board)
      if (rnd.next() < 0.7) for (; w.seen < log.length; w.seen++) Y.applyUpdate(w.doc, log[w.seen]!, SYNC)
      await settled(w.board)
      const open = [...deriveBoard(w.board.snapshot()).values()].filter((d) => d.task.kind !== 'root' && !isTerminal(d.status) && d.status !== 'pending')
      if (open.length === 0) continue
      const d = pick(open)
      const { id } = d.task
      const me = { node: w.node.id, name: w.node.me.name, attempt: d.attempt }
      if (rnd.next() < 0.08) w.board.addRequeue(id, { attempt: d.attempt, cause: 'error', reason: `seeded ${step}`, by: w.node.id })
      else if (d.status === 'ready') w.board.addClaim(id, me)
      else if (d.status === 'claimed') w.board.addLease(id, { ...me, beat: step })
      else if (d.status === 'running') {
        const kind = d.task.kind
        const out =
          kind === 'plan' ? roleOutput('p', { plan: rnd.next() < 0.5 ? twoSteps : threeSteps })
          : kind === 'verify' ? roleOutput('v', { verdict: { verdict: rnd.next() < 0.7 ? 'pass' : 'fail', reason: `verdict ${step}` } })
          : roleOutput(`answer ${step}`)
        const wr = resultWrites(d, out, w.node.me, step, step + 1)
        w.board.addResult(id, wr.result, wr.children, wr.requeue)
      }
    }
    for (const w of writers) await settled(w.board)
    return log
  }

  const replay = async (updates: readonly Uint8Array[]) => {
    const doc = new Y.Doc()
    const { board } = signedBoard(null, { doc })
    for (const u of updates) Y.applyUpdate(doc, u)
    await settled(board)
    return { stateVector: Buffer.from(Y.encodeStateVector(doc)).toString('hex'), board: summary(deriveBoard(board.snapshot())) }
  }

  it('derives identical boards from the same updates applied in write, reverse and shuffled order', async () => {
    const statuses = new Map<string, number>()
    for (let seed = 1; seed <= 16; seed++) {
      const log = await randomRun(seed, 20 + (seed % 6) * 14)
      const rnd = seededRandom(seed + 1000)
      const shuffled = log.map((u) => [rnd.next(), u] as const).sort((x, y) => x[0] - y[0]).map(([, u]) => u)
      const [inOrder, reversed, mixed] = await Promise.all([log, [...log].reverse(), shuffled].map(replay))
      expect(reversed!.stateVector, `seed ${seed}`).toBe(inOrder!.stateVector)
      expect(reversed!.board, `seed ${seed}: reverse order`).toEqual(inOrder!.board)
      expect(mixed!.board, `seed ${seed}: shuffled order`).toEqual(inOrder!.board)
      for (const t of inOrder!.board as { status: string; superseded: boolean }[]) {
        const key = t.superseded ? 'superseded' : t.status
        statuses.set(key, (statuses.get(key) ?? 0) + 1)
      }
    }
    // The runs must reach the interesting states, or the property proves little.
    for (const s of ['done', 'superseded', 'verifying', 'ready']) expect(statuses.get(s) ?? 0, `${s} in ${JSON.stringify([...statuses])}`).toBeGreaterThan(0)
  }, 60_000)
})
