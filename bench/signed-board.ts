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
 *  - the unsigned baseline: deriving the same snapshots with no envelopes at all;
 *  - on the one-task speed-up bench: records signed and signatures checked,
 *    their measured CPU cost as a share of the task's time, and what a
 *    verification quorum of 2 costs in time to answer.
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
import { SwarmSim } from '../tests/sim/swarm-harness'
import { isTerminal } from '../src/scheduler/derive'
import { BENCH_PLAN_STEPS, BENCH_PROMPT, wideSeeds } from './swarm'

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

/** One wide task of the speed-up bench (bench/swarm.ts) on `nodes` nodes, with or without the quorum rule. */
async function oneTask(nodes: number, seed: number, quorum: boolean): Promise<{ ms: number; signed: number; checks: number }> {
  const sim = new SwarmSim(seed, {}, 20, true, { planSteps: BENCH_PLAN_STEPS })
  sim.quorum = quorum
  for (let i = 0; i < nodes; i++) await sim.start(sim.addNode())
  await sim.clock.advance(1_000) // presence: the submitter sees its peers, as a person's tab would
  const author = sim.nodes[0]!
  const started = sim.clock.now()
  const root = author.board.submit(BENCH_PROMPT, { id: author.id, name: author.name, createdAt: 0 })
  const done = (): boolean => isTerminal(deriveBoard(author.board.snapshot()).get(root.id)?.status ?? 'pending')
  while (!done() && sim.clock.now() - started < 3_600_000) await sim.clock.advance(50)
  const ms = sim.clock.now() - started
  for (const n of sim.nodes) n.scheduler?.destroy()
  const stats = sim.nodes.map((n) => n.board.stats())
  return { ms, signed: stats.reduce((a, x) => a + x.signed, 0), checks: stats.reduce((a, x) => a + x.signatureChecks, 0) }
}

/** µs per Ed25519 sign and cold verify of a typical record, measured here (bench/trust.ts has the full table). */
async function recordCosts(): Promise<{ sign: number; verify: number }> {
  const signer = (await webCryptoVault(crypto.subtle, ['ed25519']).mint()).signer
  const fields = (i: number) => recordFields(ROOM, { type: 'claim', taskId: `task-${i}` as never, claim: { node: nodeIdFromKeyId(signer.keyId), name: 'n', attempt: 1 } }, i)
  const signs: number[] = []
  const verifies: number[] = []
  for (let round = 0; round <= ROUNDS; round++) {
    const t0 = performance.now()
    const signed = []
    for (let i = 0; i < 200; i++) signed.push(await signEnvelope(signer, fields(i)))
    const t1 = performance.now()
    const verifier = new EnvelopeVerifier(webCryptoVerifier())
    for (const x of signed) await verifier.verify(x.text, { room: ROOM })
    const t2 = performance.now()
    if (round > 0) (signs.push(((t1 - t0) * 1000) / 200), verifies.push(((t2 - t1) * 1000) / 200))
  }
  return { sign: median(signs), verify: median(verifies) }
}

async function speedupOverhead(): Promise<string[]> {
  const [seed] = await wideSeeds(1, 1)
  const cost = await recordCosts()
  const lines = ['', `Signed records on the one-task speed-up bench (bench/swarm.ts's wide task, seed ${seed!}, seeded virtual time):`]
  lines.push('  nodes  quorum  time to answer  records signed  signatures checked  signing CPU per tab / task time')
  const times = new Map<string, number>()
  for (const [nodes, quorum] of [[1, false], [3, false], [3, true], [4, true]] as const) {
    const r = await oneTask(nodes, seed!, quorum)
    times.set(`${nodes}:${quorum}`, r.ms)
    // Virtual time charges nothing for crypto: the real cost is the measured per-record cost times the counts.
    const cpuMs = (r.signed * cost.sign + r.checks * cost.verify) / 1000
    const share = cpuMs / nodes / r.ms
    lines.push(`  ${String(nodes).padStart(5)}  ${String(quorum ? 2 : 1).padStart(6)}  ${(r.ms / 1000).toFixed(1).padStart(12)} s  ${String(r.signed).padStart(14)}  ${String(r.checks).padStart(18)}  ${(share * 100).toFixed(3).padStart(8)} %`)
  }
  lines.push(
    `  (Ed25519 here: ${cost.sign.toFixed(0)} µs to sign, ${cost.verify.toFixed(0)} µs to verify a record; the unsigned baseline is the same run at 0 %.)`,
    `  quorum 2 vs 1 on 3 nodes: ${((times.get('3:true') ?? NaN) / (times.get('3:false') ?? NaN)).toFixed(2)}× the time to answer (two verifiers per step, and a tiebreak on disagreement)`,
  )
  return lines
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
  lines.push(...(await speedupOverhead()))
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
