import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Board, BoardInputError, PLAN_MAX_ATTEMPTS, validatePrompt } from '../../src/board/board'
import { DAG_SCHEMA_VERSION, MAX_PROMPT_LENGTH, NODES_KEY, type TaskId, type TaskStatic } from '../../src/board/dag-schema'
import { seededRandom } from '../../src/clock'
import { deriveBoard, isTerminal } from '../../src/scheduler/derive'
import { resultWrites } from '../../src/scheduler/task-io'
import { A, B, C, claim, clockAt, identity, lease, requeue, result, roleOutput, staticTask, summary, threeSteps, tid, twoSteps } from './task-fixtures'

const NOW = 1_700_000_000_000

function fresh(seed = 1) {
  const doc = new Y.Doc()
  const board = new Board(doc, clockAt(NOW), seededRandom(seed))
  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => updates.push(u))
  return { doc, board, updates, nodes: doc.getMap<unknown>(NODES_KEY) }
}

/** Writes a task entry the way a (possibly hostile) peer could: any fields, any record maps. */
function rawEntry(nodes: Y.Map<unknown>, key: string, fields: Record<string, unknown>, records: Record<string, Record<string, unknown>> = {}): Y.Map<unknown> {
  const entry = new Y.Map<unknown>()
  nodes.set(key, entry)
  for (const [k, v] of Object.entries(fields)) entry.set(k, v)
  for (const [kind, recs] of Object.entries(records)) {
    const m = new Y.Map<unknown>()
    entry.set(kind, m)
    for (const [k, v] of Object.entries(recs)) m.set(k, v)
  }
  return entry
}

/** A valid task, written through the board (it has no public way to add a bare task, so use a plan result). */
function withTask(board: Board, s: TaskStatic): void {
  const root = board.submit('Seed task', identity(A))
  board.addResult(tid(`${root.id}-plan`), result(A), [s])
}

describe('Board.submit', () => {
  it('writes the root and its plan node in one transaction', () => {
    const { board, updates, doc } = fresh()
    let txns = 0
    doc.on('afterTransaction', () => txns++)
    const root = board.submit('  Compare CRDT libraries\nin depth  ', identity(A, 'amber-otter'))
    expect([txns, updates.length]).toEqual([1, 1])
    const tasks = board.snapshot()
    expect(tasks.map((t) => [t.id, t.kind, t.role, t.maxAttempts]).sort()).toEqual([
      [root.id, 'root', undefined, 1],
      [`${root.id}-plan`, 'plan', 'planner', PLAN_MAX_ATTEMPTS],
    ])
    for (const t of tasks) expect(t).toMatchObject({ v: DAG_SCHEMA_VERSION, rootId: root.id, prompt: 'Compare CRDT libraries\nin depth', createdAt: NOW, createdBy: A, createdByName: 'amber-otter', deps: [] })
    expect(root.title).toBe('Compare CRDT libraries')
    const d = deriveBoard(tasks)
    expect([d.get(root.id)?.status, d.get(tid(`${root.id}-plan`))?.status]).toEqual(['pending', 'ready'])
  })

  it('shortens long titles and mints distinct, valid ids', () => {
    const { board } = fresh()
    const a = board.submit('x'.repeat(200), identity(A))
    const b = board.submit('second', identity(A))
    expect(a.title).toBe(`${'x'.repeat(77)}…`)
    expect(a.id).not.toBe(b.id)
    expect(board.snapshot()).toHaveLength(4)
  })

  it('rejects empty and oversized prompts with BoardInputError and writes nothing', () => {
    const { board, updates } = fresh()
    expect(() => board.submit('', identity(A))).toThrow(BoardInputError)
    expect(() => board.submit(' \n\t ', identity(A))).toThrow('Type a task first.')
    expect(() => board.submit('x'.repeat(MAX_PROMPT_LENGTH + 1), identity(A))).toThrow(/limit is 4000/)
    expect(updates).toHaveLength(0)
    expect(board.snapshot()).toEqual([])
    expect(validatePrompt(` ${'x'.repeat(MAX_PROMPT_LENGTH)} `)).toEqual({ ok: true, value: 'x'.repeat(MAX_PROMPT_LENGTH) })
  })
})

describe('Board.snapshot with hostile peer data', () => {
  const good = (id: string, p: Partial<TaskStatic> = {}): Record<string, unknown> => ({ ...staticTask({ id: tid(id), ...p }) })

  it('skips invalid task entries without throwing; valid siblings survive', () => {
    const { board, nodes } = fresh()
    const root = board.submit('Real task', identity(A))
    nodes.set('garbage-0001', 42)
    nodes.set('garbage-0002', { ...good('garbage-0002') }) // a plain object, not a Y.Map
    rawEntry(nodes, 'oldver-0001', { ...good('oldver-0001'), v: 1 })
    rawEntry(nodes, 'moved-00001', good('other-00001'))
    rawEntry(nodes, 'nokind-0001', { ...good('nokind-0001'), kind: 'exploit' })
    rawEntry(nodes, 'rootrole-01', { ...good('rootrole-01'), kind: 'root', role: 'planner' })
    rawEntry(nodes, 'verify-0001', { ...good('verify-0001'), kind: 'verify', role: 'verifier' })
    rawEntry(nodes, 'deps-000001', { ...good('deps-000001'), deps: 'task-0001' })
    rawEntry(nodes, 'attempts-01', { ...good('attempts-01'), maxAttempts: 1e9 })
    rawEntry(nodes, 'valid-00001', good('valid-00001'))
    const ids = board.snapshot().map((t) => t.id).sort()
    expect(ids).toEqual([root.id, `${root.id}-plan`, 'valid-00001'].sort())
    expect(() => deriveBoard(board.snapshot())).not.toThrow()
  })

  it('drops invalid records and keeps the valid ones of the same task', () => {
    const { board, nodes } = fresh()
    const bad = result(B, 1, { provenance: { completionTokens: -1 } })
    rawEntry(nodes, 'task-0001', good('task-0001'), {
      claims: { [`1:${A}`]: claim(A, 1), [`1:${B}`]: claim(B, 3), [`2:${C}`]: claim(A, 2), '1:x': 'junk' },
      leases: { [`1:${A}`]: lease(A, 1), [`1:${B}`]: { ...lease(B, 1), beat: -2 } },
      results: { [`1:${A}`]: result(A, 1), [`1:${B}`]: bad, [`2:${C}`]: result(A, 2), [`1:${C}`]: { ...result(C, 1), provenance: { node: C } } },
      requeues: { [`1:${A}`]: requeue(1), [`2:${A}`]: requeue(3), [`03:${A}`]: requeue(3), [`4:${A}`]: { ...requeue(4), cause: 'boredom' } },
      partials: { [`1:${A}`]: 'streaming…', 'bad key': 'x', [`2:${B}`]: 7 },
    })
    rawEntry(nodes, 'task-0002', good('task-0002'), { claims: { x: 1 } })
    nodes.get('task-0002') instanceof Y.Map && (nodes.get('task-0002') as Y.Map<unknown>).set('leases', 'not a map')
    const byId = new Map(board.snapshot().map((t) => [t.id, t]))
    const t = byId.get(tid('task-0001'))!
    expect([[...t.claims.keys()], [...t.leases.keys()], [...t.results.keys()], [...t.requeues.keys()], [...t.partials.keys()]]).toEqual([[`1:${A}`], [`1:${A}`], [`1:${A}`], [`1:${A}`], [`1:${A}`]])
    expect(byId.get(tid('task-0002'))?.leases.size).toBe(0)
    // attempt 1 was requeued; the attempt-2 claim and result filed under 2:C were dropped, so attempt 2 is open
    expect(deriveBoard([...byId.values()]).get(tid('task-0001'))).toMatchObject({ status: 'ready', attempt: 2 })
  })

  it('rejects kinds and roles that are only names on Object.prototype', () => {
    const { board, nodes } = fresh()
    rawEntry(nodes, 'proto-00001', { ...good('proto-00001'), kind: 'toString' })
    rawEntry(nodes, 'proto-00002', { ...good('proto-00002'), role: 'constructor' })
    rawEntry(nodes, 'proto-00003', { ...good('proto-00003'), kind: 'hasOwnProperty' })
    expect(board.snapshot().map((t) => t.id)).toEqual([])
  })

  it('ignores an entry that smuggles its fields through a "__proto__" key, and derivation survives', () => {
    const { board, nodes } = fresh()
    const root = board.submit('Real task', identity(A))
    rawEntry(nodes, 'evil-000001', {}).set('__proto__', good('evil-000001')) // a key, not the literal's prototype
    const tasks = board.snapshot()
    expect(() => deriveBoard(tasks)).not.toThrow()
    expect(tasks.map((t) => t.id).sort()).toEqual([root.id, `${root.id}-plan`])
  })
})

describe('Board records', () => {
  it('files claims, leases and partials under attempt:node and ignores writes to unknown tasks', () => {
    const { board, updates } = fresh()
    const root = board.submit('Task', identity(A))
    const plan = tid(`${root.id}-plan`)
    board.addClaim(plan, claim(B, 2))
    board.addLease(plan, lease(B, 2, 5))
    board.setPartial(plan, 2, B, 'half an answer')
    const t = board.snapshot().find((x) => x.id === plan)!
    expect([[...t.claims.keys()], t.leases.get(`2:${B}`)?.beat, t.partials.get(`2:${B}`)]).toEqual([[`2:${B}`], 5, 'half an answer'])
    const before = updates.length
    expect(() => board.addClaim(tid('missing-0001'), claim(B))).not.toThrow()
    expect(() => board.addRequeue(tid('missing-0001'), requeue(1))).not.toThrow()
    expect(updates.length).toBe(before)
  })

  it('keeps the first requeue of an attempt (idempotent) and writes nothing for the second', () => {
    const { board, updates } = fresh()
    const plan = tid(`${board.submit('Task', identity(A)).id}-plan`)
    board.addRequeue(plan, requeue(1, { reason: 'first', by: A }))
    const before = updates.length
    board.addRequeue(plan, requeue(1, { reason: 'second', by: B }))
    expect(updates.length).toBe(before)
    board.addRequeue(plan, requeue(2, { reason: 'other attempt' }))
    const t = board.snapshot().find((x) => x.id === plan)!
    expect([...t.requeues.entries()].map(([k, q]) => [k, q.reason])).toEqual([[`1:${A}`, 'first'], [`2:${A}`, 'other attempt']])
  })

  it('writes a result, its children and a requeue as one update, and keeps existing children', () => {
    const src = fresh(1)
    const dst = fresh(2)
    const root = src.board.submit('Task', identity(A))
    const plan = tid(`${root.id}-plan`)
    const target = staticTask({ id: tid(`${root.id}-s1`), rootId: root.id, createdAt: 1 })
    src.board.addResult(plan, result(A), [target])
    Y.applyUpdate(dst.doc, Y.encodeStateAsUpdate(src.doc))
    const seen: boolean[] = []
    dst.board.onChange((local) => seen.push(local))
    const before = src.updates.length
    const child = staticTask({ id: tid(`${root.id}-s2`), rootId: root.id })
    src.board.addResult(plan, result(B), [child, { ...target, createdAt: 999 }], { taskId: target.id, requeue: requeue(1, { cause: 'verification-failed' }) })
    const fresh1 = src.updates.slice(before)
    expect(fresh1).toHaveLength(1)
    Y.applyUpdate(dst.doc, fresh1[0]!)
    expect(seen).toEqual([false])
    const byId = new Map(dst.board.snapshot().map((t) => [t.id, t]))
    expect([byId.get(plan)?.results.size, byId.has(child.id), byId.get(target.id)?.createdAt, byId.get(target.id)?.requeues.get(`1:${A}`)?.cause]).toEqual([2, true, 1, 'verification-failed'])
  })

  it('tells listeners whether a change was local, and stops after unsubscribe', () => {
    const a = fresh(1)
    const b = fresh(2)
    const seen: boolean[] = []
    const off = b.board.onChange((local) => seen.push(local))
    b.board.submit('mine', identity(B))
    a.board.submit('theirs', identity(A))
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc))
    const plan = b.board.snapshot().find((t) => t.kind === 'plan' && t.createdBy === B)!
    b.board.addClaim(plan.id as TaskId, claim(B))
    off()
    b.board.addLease(plan.id as TaskId, lease(B))
    expect(seen).toEqual([true, false, true])
  })
})

describe('Board replicas converge (seeded random runs)', () => {
  const SYNC = Symbol('sync')

  /** Three writers act on what they have seen, often stale (duplicates as after a partition). Returns every update in write order. */
  function randomRun(seed: number, steps: number): Uint8Array[] {
    const rnd = seededRandom(seed)
    const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rnd.next() * xs.length)]!
    const log: Uint8Array[] = []
    const writers = [A, B, C].map((id, i) => {
      const doc = new Y.Doc()
      doc.clientID = seed * 10 + i + 1
      doc.on('update', (u: Uint8Array, origin: unknown) => origin !== SYNC && log.push(u))
      return { doc, board: new Board(doc, clockAt(NOW + i), seededRandom(seed * 10 + i)), me: identity(id), seen: 0 }
    })
    writers[0]!.board.submit('Compare sorting algorithms', writers[0]!.me)
    for (let step = 0; step < steps; step++) {
      const w = pick(writers)
      if (rnd.next() < 0.7) for (; w.seen < log.length; w.seen++) Y.applyUpdate(w.doc, log[w.seen]!, SYNC)
      const open = [...deriveBoard(w.board.snapshot()).values()].filter((d) => d.task.kind !== 'root' && !isTerminal(d.status) && d.status !== 'pending')
      if (open.length === 0) continue
      const d = pick(open)
      const { id } = d.task
      const me = { node: w.me.id, name: w.me.name, attempt: d.attempt }
      if (rnd.next() < 0.08) w.board.addRequeue(id, { attempt: d.attempt, cause: 'holder-lost', reason: `seeded ${step}`, by: w.me.id })
      else if (d.status === 'ready') w.board.addClaim(id, me)
      else if (d.status === 'claimed') w.board.addLease(id, { ...me, beat: step })
      else if (d.status === 'running') {
        const kind = d.task.kind
        const out =
          kind === 'plan' ? roleOutput('p', { plan: rnd.next() < 0.5 ? twoSteps : threeSteps })
          : kind === 'verify' ? roleOutput('v', { verdict: { verdict: rnd.next() < 0.7 ? 'pass' : 'fail', reason: `verdict ${step}` } })
          : roleOutput(`answer ${step}`)
        const wr = resultWrites(d, out, w.me, step, step + 1)
        w.board.addResult(id, wr.result, wr.children, wr.requeue)
      }
    }
    return log
  }

  const replay = (updates: readonly Uint8Array[]) => {
    const doc = new Y.Doc()
    for (const u of updates) Y.applyUpdate(doc, u)
    return { stateVector: Buffer.from(Y.encodeStateVector(doc)).toString('hex'), board: summary(deriveBoard(new Board(doc, clockAt(NOW), seededRandom(1)).snapshot())) }
  }

  it('derives identical boards from the same updates applied in write, reverse and shuffled order', () => {
    const statuses = new Map<string, number>()
    for (let seed = 1; seed <= 24; seed++) {
      const log = randomRun(seed, 20 + (seed % 6) * 14)
      const rnd = seededRandom(seed + 1000)
      const shuffled = log.map((u) => [rnd.next(), u] as const).sort((x, y) => x[0] - y[0]).map(([, u]) => u)
      const [inOrder, reversed, mixed] = [log, [...log].reverse(), shuffled].map(replay)
      expect(reversed!.stateVector, `seed ${seed}`).toBe(inOrder!.stateVector)
      expect(reversed!.board, `seed ${seed}: reverse order`).toEqual(inOrder!.board)
      expect(mixed!.board, `seed ${seed}: shuffled order`).toEqual(inOrder!.board)
      for (const t of inOrder!.board as { status: string; superseded: boolean }[]) {
        const key = t.superseded ? 'superseded' : t.status
        statuses.set(key, (statuses.get(key) ?? 0) + 1)
      }
    }
    // The runs must reach the interesting states, or the property proves little.
    for (const s of ['done', 'failed', 'superseded', 'verifying', 'ready']) expect(statuses.get(s) ?? 0, `${s} in ${JSON.stringify([...statuses])}`).toBeGreaterThan(0)
  })
})
