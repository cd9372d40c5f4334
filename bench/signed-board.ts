/**
 * Signed board bench (`npm run bench`, or alone: `npx tsx bench/signed-board.ts`).
 * Measurements, not tests. With real Ed25519 (Node's WebCrypto), for boards
 * of 250 and 1,000 tasks (roots, plans, research steps and syntheses, each
 * with its claim, lease and result, all signed):
 *  - cold: a tab that receives the whole board verifies every envelope,
 *    builds the snapshot and derives it;
 *  - warm: one more record arrives; the tab rebuilds the snapshot and derives;
 *  - cold load from the verified store: a reload that restores the board from
 *    the locally kept records into an empty doc (memory storage here, so this
 *    is verification and indexing; IndexedDB read time comes on top);
 *  - the unsigned baseline: deriving the same snapshots with no envelopes at all.
 * Medians of several rounds.
 */
import { pathToFileURL } from 'node:url'
import * as Y from 'yjs'
import { Board } from '../src/board/board'
import { seededRandom, type Clock } from '../src/clock'
import { setLogLevel } from '../src/log'
import { deriveBoard } from '../src/scheduler/derive'
import { resultWrites } from '../src/scheduler/task-io'
import { EnvelopeVerifier } from '../src/trust/envelope-verifier'
import { signEnvelope } from '../src/trust/envelope'
import { recordFields } from '../src/board/record-codec'
import { nodeIdFromKeyId } from '../src/trust/keys'
import { memoryEnvelopeStorage, VerifiedStore } from '../src/trust/verified-store'
import { webCryptoVault, webCryptoVerifier } from '../src/trust/webcrypto'
import { roleOutput, twoSteps } from '../tests/unit/task-fixtures'

const ROOM = 'bench-room'
const ROUNDS = 5
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const clock = (): Clock => {
  let t = 1_700_000_000_000
  return { now: () => t++, setTimeout: () => () => {} }
}

async function settle(board: Board): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await board.flushed()
    await new Promise((r) => setImmediate(r))
  }
}

/** A board of about `tasks` tasks: each root gets a plan of two steps and a synthesis, every one answered. */
async function buildBoard(tasks: number): Promise<{ doc: Y.Doc; store: VerifiedStore; storage: ReturnType<typeof memoryEnvelopeStorage> }> {
  const signer = (await webCryptoVault(crypto.subtle, ['ed25519']).mint()).signer
  const me = { id: nodeIdFromKeyId(signer.keyId), name: 'bench', createdAt: 0 }
  const storage = memoryEnvelopeStorage()
  const store = await VerifiedStore.open(storage, ROOM)
  const doc = new Y.Doc()
  const board = new Board({ doc, room: ROOM, clock: clock(), random: seededRandom(1), signer, verifier: new EnvelopeVerifier(webCryptoVerifier()), store })
  const answer = (id: string, text: string, children = true) => {
    const d = deriveBoard(board.snapshot()).get(id as never)!
    const w = resultWrites(d, roleOutput(text, text === 'plan' ? { plan: twoSteps } : {}), me, 1, 2)
    board.addClaim(d.task.id, { node: me.id, name: me.name, attempt: 1 })
    board.addLease(d.task.id, { node: me.id, name: me.name, attempt: 1, beat: 3 })
    board.addResult(d.task.id, w.result, children ? w.children.filter((c) => c.kind !== 'verify') : [])
  }
  for (let made = 0; made < tasks; made += 5) {
    const root = board.submit(`Task ${made}: compare two approaches in depth`, me)
    answer(`${root.id}-plan`, 'plan')
    const snap = board.snapshot().filter((t) => t.rootId === root.id)
    for (const t of snap.filter((x) => x.kind === 'research')) answer(t.id, `Findings for ${t.title}. `.repeat(12), false)
    for (const t of snap.filter((x) => x.kind === 'synthesize')) answer(t.id, 'The combined answer. '.repeat(30))
    if (made % 100 === 0) await settle(board)
  }
  await settle(board)
  return { doc, store, storage }
}

async function timeCold(update: Uint8Array): Promise<{ ms: number; board: Board; tasks: number }> {
  const doc = new Y.Doc()
  const t0 = performance.now()
  Y.applyUpdate(doc, update)
  const board = new Board({ doc, room: ROOM, clock: clock(), random: seededRandom(2), signer: null, verifier: new EnvelopeVerifier(webCryptoVerifier()) })
  await board.ready
  await settle(board)
  const tasks = board.snapshot()
  deriveBoard(tasks)
  return { ms: performance.now() - t0, board, tasks: tasks.length }
}

export async function benchSignedBoard(): Promise<string> {
  setLogLevel('warn')
  const lines = [`Signed board, Node ${process.version} WebCrypto Ed25519; medians of ${ROUNDS} rounds`]
  for (const size of [250, 1_000]) {
    const { doc, storage } = await buildBoard(size)
    const update = Y.encodeStateAsUpdate(doc)
    const records = doc.getMap('records').size
    const cold: number[] = []
    const warm: number[] = []
    const load: number[] = []
    const unsigned: number[] = []
    let tasks = 0
    const peer = (await webCryptoVault(crypto.subtle, ['ed25519']).mint()).signer
    for (let round = 0; round <= ROUNDS; round++) {
      const c = await timeCold(update)
      tasks = c.tasks
      // Warm: one more record (a peer's claim) arrives and is verified; then the snapshot is rebuilt and derived.
      const some = c.board.snapshot()[round]!
      const s = await signEnvelope(peer, recordFields(ROOM, { type: 'claim', taskId: some.id, claim: { node: nodeIdFromKeyId(peer.keyId), name: 'peer', attempt: 2 + round } }, 1))
      c.board.doc.getMap('records').set(s.hash, s.text)
      await settle(c.board)
      const t1 = performance.now()
      deriveBoard(c.board.snapshot())
      const w = performance.now() - t1
      // Cold load from the verified store into an empty doc (a reload after the doc was wiped).
      const t2 = performance.now()
      const store = await VerifiedStore.open(storage, ROOM)
      const reloaded = new Board({ doc: new Y.Doc(), room: ROOM, clock: clock(), random: seededRandom(3), signer: null, verifier: new EnvelopeVerifier(webCryptoVerifier()), store })
      await reloaded.ready
      await settle(reloaded)
      const restored = reloaded.snapshot().length
      const l = performance.now() - t2
      if (restored !== tasks) throw new Error(`the store restored ${restored} of ${tasks} tasks`)
      // Unsigned baseline: derivation alone over the same snapshots.
      const snap = c.board.snapshot()
      const t3 = performance.now()
      deriveBoard(snap)
      const u = performance.now() - t3
      if (round > 0) (cold.push(c.ms), warm.push(w), load.push(l), unsigned.push(u))
    }
    lines.push(
      `  ${String(tasks).padStart(5)} tasks (${records} records, ${(update.length / 1024 / 1024).toFixed(2)} MiB):`,
      `    cold: verify every envelope + snapshot + derive   ${median(cold).toFixed(0).padStart(7)} ms`,
      `    warm: snapshot + derive after one change           ${median(warm).toFixed(1).padStart(7)} ms`,
      `    cold load from the verified store (memory)         ${median(load).toFixed(0).padStart(7)} ms`,
      `    unsigned baseline: derive alone                    ${median(unsigned).toFixed(1).padStart(7)} ms`,
      `    warm / unsigned                                    ${(median(warm) / median(unsigned)).toFixed(2).padStart(7)}×`,
    )
  }
  return lines.join('\n')
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchSignedBoard().then(
    (out) => process.stdout.write(`${out}\n`),
    (err: unknown) => {
      process.stderr.write(`signed board bench failed: ${String(err)}\n`)
      process.exit(1)
    },
  )
}
