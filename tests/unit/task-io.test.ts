import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { TaskId } from '../../src/board/dag-schema'
import { seededRandom } from '../../src/clock'
import type { NodeId } from '../../src/mesh/protocol'
import { deriveBoard, originOf } from '../../src/scheduler/derive'
import { RESEARCH_MAX_ATTEMPTS, SYNTH_MAX_ATTEMPTS, VERIFY_MAX_ATTEMPTS } from '../../src/scheduler/graph-builders'
import { eligibleCandidates } from '../../src/scheduler/policy'
import { buildRoleInput, resultWrites } from '../../src/scheduler/task-io'
import { A, B, C, D, Graph, ROOT, candidate, clockAt, generated, identity, requeue, roleOutput, threeSteps, twoSteps } from './task-fixtures'
import { NA, NB, NC, settled, signedBoard, type TestNode } from './signed-fixtures'

/** Inputs a node would build for `id` on the graph as it stands. */
function inputFor(g: Graph, id: TaskId) {
  const derived = g.derive()
  return buildRoleInput(derived.get(id)!, g.snapshots(), derived)
}

describe('buildRoleInput', () => {
  it('gives the planner the root prompt and no dependencies', () => {
    const g = new Graph('Explain CRDTs to a child')
    expect(inputFor(g, g.planId)).toEqual({ role: 'planner', rootPrompt: 'Explain CRDTs to a child', title: 'title of root-0000-0001-plan', instructions: 'Explain CRDTs to a child', deps: [] })
  })

  it('gives research the results of its dependencies, failed and unverified ones included', () => {
    const g = new Graph()
    const [s1, s2, s3] = g.plan(A, threeSteps)
    g.verdict(g.research(s1!, B, 1, 'Fact one.'), C, 'pass')
    for (const n of [1, 2, 3]) g.requeue(s2!, requeue(n, { reason: 'nobody could run it' }))
    const input = inputFor(g, s3!)
    expect(input).toMatchObject({ role: 'researcher', rootPrompt: 'Compare three sorting algorithms', title: 'Conclude', instructions: 'Draw the conclusions' })
    expect(input.deps).toEqual([
      { title: 'Find facts', text: 'Fact one.', status: 'done' },
      { title: 'Analyse facts', text: 'gave up after 3 attempts: nobody could run it', status: 'failed' },
    ])
    expect(input.feedback).toBeUndefined()
  })

  it('marks an unverified dependency and hands verifier feedback to the next attempt', () => {
    const g = new Graph()
    const [s1, s2] = g.plan(A, twoSteps)
    const v = g.research(s1!, B, 1, 'Shaky fact.')
    g.requeue(v, requeue(1))
    g.requeue(v, requeue(2))
    g.verdict(g.research(s2!, C), D, 'fail', 'ignores step one')
    const input = inputFor(g, s2!)
    expect(input.deps).toEqual([{ title: 'Find facts', text: 'Shaky fact.', status: 'unverified' }])
    expect(input.feedback).toBe('ignores step one')
  })

  it('gives the verifier the judged answer (of that result, not another) with the step it answers', () => {
    const g = new Graph()
    const [s1] = g.plan(A, twoSteps)
    g.research(s1!, C, 1, 'Answer by C.')
    const v = g.research(s1!, B, 1, 'Answer by B.')
    expect(inputFor(g, v)).toMatchObject({ role: 'verifier', title: 'Find facts', instructions: 'Find the relevant facts', answer: 'Answer by B.', deps: [] })
  })

  it('gives the synthesizer every step result in plan order', () => {
    const g = new Graph()
    const [s1, s2, s3, synth] = g.plan(A, threeSteps)
    g.verdict(g.research(s3!, D, 1, 'Three.'), A, 'pass')
    g.verdict(g.research(s1!, B, 1, 'One.'), A, 'pass')
    g.verdict(g.research(s2!, C, 1, 'Two.'), A, 'pass')
    const input = inputFor(g, synth!)
    expect(input.role).toBe('synthesizer')
    expect(input.deps.map((d) => [d.title, d.text, d.status])).toEqual([['Find facts', 'One.', 'done'], ['Analyse facts', 'Two.', 'done'], ['Conclude', 'Three.', 'done']])
  })
})

describe('resultWrites', () => {
  const self = identity(B, 'blue-heron')

  it('writes a plan result with its steps and synthesis, ids derived from the result key', () => {
    const g = new Graph()
    const d = { ...g.derive().get(g.planId)!, attempt: 2 }
    const w = resultWrites(d, roleOutput('raw model text', { plan: threeSteps }), self, 100, 200)
    const prefix = `${ROOT}-2-${B}`
    expect(w.children.map((c) => c.id)).toEqual([`${prefix}-s1`, `${prefix}-s2`, `${prefix}-s3`, `${prefix}-synth`])
    expect(w.children.map((c) => [c.kind, c.role, c.deps, c.maxAttempts])).toEqual([
      ['research', 'researcher', [], RESEARCH_MAX_ATTEMPTS],
      ['research', 'researcher', [`${prefix}-s1`], RESEARCH_MAX_ATTEMPTS],
      ['research', 'researcher', [`${prefix}-s1`, `${prefix}-s2`], RESEARCH_MAX_ATTEMPTS],
      ['synthesize', 'synthesizer', [`${prefix}-s1`, `${prefix}-s2`, `${prefix}-s3`], SYNTH_MAX_ATTEMPTS],
    ])
    for (const c of w.children) expect(c).toMatchObject({ rootId: ROOT, origin: originOf(g.planId, `2:${B}`), createdBy: B, createdByName: 'blue-heron', createdAt: 200 })
    expect(w.result).toEqual({
      attempt: 2,
      text: JSON.stringify(threeSteps),
      provenance: { node: B, name: 'blue-heron', engine: 'sim', model: 'sim-tiny', simulated: true, tokensPerSec: 17, startedAt: 100, endedAt: 200, promptTokens: 11, completionTokens: 13 },
    })
    expect(w.requeue).toBeUndefined()
  })

  it('creates the same children on whichever tab writes them', () => {
    const g = new Graph()
    const d = g.derive().get(g.planId)!
    const out = roleOutput('x', { plan: twoSteps })
    expect(resultWrites(d, out, self, 1, 2).children.map((c) => c.id)).toEqual(resultWrites(d, out, self, 5, 9).children.map((c) => c.id))
  })

  it('writes a research result with a verify node that goes to another node than the producer', () => {
    const g = new Graph()
    const [s1] = g.plan(A, twoSteps)
    const w = resultWrites(g.derive().get(s1!)!, roleOutput('The facts.'), self, 1, 2)
    expect(w.result.text).toBe('The facts.')
    expect(w.children).toHaveLength(1)
    const v = w.children[0]!
    expect(v).toMatchObject({ kind: 'verify', role: 'verifier', deps: [], maxAttempts: VERIFY_MAX_ATTEMPTS, origin: originOf(s1!, `1:${B}`), verifies: { taskId: s1, attempt: 1, resultKey: `1:${B}`, producer: B } })
    g.add(v)
    const dv = g.derive().get(v.id)!
    expect(eligibleCandidates(dv, [candidate(B), candidate(C)]).map((c) => c.id)).toEqual([C])
  })

  it('keeps the planner note and the verdict on the result', () => {
    const g = new Graph()
    const noted = resultWrites(g.derive().get(g.planId)!, roleOutput('x', { plan: twoSteps, note: 'fell back to one step' }), self, 1, 2)
    expect(noted.result.reason).toBe('fell back to one step')
    const [s1] = g.plan(A, twoSteps)
    const v = g.research(s1!, C)
    const passed = resultWrites(g.derive().get(v)!, roleOutput('{}', { verdict: { verdict: 'pass', reason: 'Accurate.' } }), self, 1, 2)
    expect(passed).toMatchObject({ result: { verdict: 'pass', reason: 'Accurate.' }, children: [] })
    expect(passed.requeue).toBeUndefined()
  })

  it('requeues the judged attempt with the verifier feedback when a verdict fails', () => {
    const g = new Graph()
    const [s1] = g.plan(A, twoSteps)
    g.requeue(s1!, requeue(1, { cause: 'holder-lost' }))
    const v = g.research(s1!, C, 2)
    const w = resultWrites(g.derive().get(v)!, roleOutput('{}', { verdict: { verdict: 'fail', reason: 'Wrong year.' } }), self, 1, 2)
    expect(w.result).toMatchObject({ verdict: 'fail', reason: 'Wrong year.' })
    expect(w.requeue).toEqual({ taskId: s1, requeue: { attempt: 2, cause: 'verification-failed', reason: 'rejected by blue-heron: Wrong year.', feedback: 'Wrong year.', by: B } })
  })

  it('clamps a bad decode speed from the engine to a valid provenance', () => {
    const g = new Graph()
    const out = roleOutput('x', { plan: twoSteps, last: generated('x', { usage: { promptTokens: 1, completionTokens: 1, decodeTokensPerSec: Number.NaN, prefillTokensPerSec: 0 } }) })
    expect(resultWrites(g.derive().get(g.planId)!, out, self, 1, 2).result.provenance.tokensPerSec).toBe(0)
  })
})

describe('resultWrites through signed Boards', () => {
  /** Runs plan → research → verify, each written by its own node's board; returns the ids of children the boards dropped. */
  async function roundTrip(planner: TestNode, researcher: TestNode) {
    const author = signedBoard(NA)
    const [p, r] = [planner, researcher].map((n) => signedBoard(n, { doc: author.doc }).board)
    author.board.submit('Compare three sorting algorithms', NA.me)
    await settled(author.board, p!, r!)
    const step = () => deriveBoard(author.board.snapshot())
    const plan = [...step().values()].find((d) => d.task.kind === 'plan')!
    const pw = resultWrites(plan, roleOutput('x', { plan: twoSteps }), planner.me, 1, 2)
    p!.addResult(plan.task.id, pw.result, pw.children)
    await settled(author.board, p!, r!)
    const s1 = step().get(pw.children[0]!.id)!
    const rw = resultWrites(s1, roleOutput('Facts.'), researcher.me, 3, 4)
    r!.addResult(s1.task.id, rw.result, rw.children)
    await settled(author.board, p!, r!)
    const held = new Set(author.board.snapshot().map((t) => t.id))
    return [...pw.children, ...rw.children].map((c) => c.id).filter((id) => !held.has(id))
  }

  it('produces children the board accepts: ids carry their origin, and fit the id limit with key-derived node ids', async () => {
    expect(await roundTrip(NB, NC), 'children dropped by the board').toEqual([])
  })
})
