/** The donor bridge: the page's task view (pure) and the guards the donor process applies to everything the page pushes. */
import { describe, expect, it } from 'vitest'
import { recordKey, type TaskId } from '../../src/board/dag-schema'
import { BRIDGE_VERSION, isFinished, parseBridgeEvent, parseSubmitReply, type TabStatus } from '../../src/bridge/protocol'
import { taskView } from '../../src/bridge/task-view'
import type { DerivedTask } from '../../src/scheduler/derive'
import { A, B, C, Graph, ROOT, result, threeSteps } from './task-fixtures'

function withPartial(derived: Map<TaskId, DerivedTask>, id: TaskId, key: string, text: string): Map<TaskId, DerivedTask> {
  const d = derived.get(id)!
  derived.set(id, { ...d, task: { ...d.task, partials: new Map([[key, text]]) } })
  return derived
}

describe('taskView', () => {
  it('reports an unknown task as missing (not finished: a restarted tab may not have loaded its board yet)', () => {
    const v = taskView(new Map(), 'nope-0001')
    expect(v.status).toBe('missing')
    expect(isFinished(v.status)).toBe(false)
    expect(parseBridgeEvent(v).ok).toBe(true)
  })

  it('follows a task from plan to answer: steps, verification, synthesizer partial, answer and provenance', () => {
    const g = new Graph()
    expect(taskView(g.derive(), ROOT)).toMatchObject({ status: 'pending', steps: [], partial: null, answer: null })
    const ids = g.plan(A, threeSteps)
    const synth = ids[ids.length - 1]!
    const steps = ids.slice(0, -1)
    let v = taskView(g.derive(), ROOT)
    expect(v.status).toBe('running')
    expect(v.steps.map((s) => s.title)).toEqual(['Find facts', 'Analyse facts', 'Conclude'])
    for (const s of steps) g.verdict(g.research(s, B), C, 'pass')
    v = taskView(g.derive(), ROOT)
    expect(v.steps.every((s) => s.status === 'done' && s.verification === 'passed')).toBe(true)
    // The synthesizer streams: only the current attempt's winner counts.
    g.claim(synth, C)
    g.lease(synth, C)
    const streaming = withPartial(g.derive(), synth, recordKey(1, C), '  The answer so far')
    expect(taskView(streaming, ROOT).partial).toBe('The answer so far')
    const stranger = withPartial(g.derive(), synth, recordKey(1, A), 'not the winner')
    expect(taskView(stranger, ROOT).partial).toBeNull()
    g.result(synth, result(C, 1, { text: 'The final answer', provenance: { engine: 'webllm', model: 'm-1', simulated: false, promptTokens: 40, completionTokens: 9 } }))
    v = taskView(g.derive(), ROOT)
    expect(v).toMatchObject({ status: 'done', answer: 'The final answer', partial: null, provenance: { node: C, engine: 'webllm', model: 'm-1', simulated: false, promptTokens: 40, completionTokens: 9 } })
    expect(isFinished(v.status)).toBe(true)
    expect(parseBridgeEvent(v)).toEqual({ ok: true, value: v })
  })

  it('carries the failure reason of a failed task', () => {
    const g = new Graph()
    for (let a = 1; a <= 3; a++) g.requeue(g.planId, { attempt: a, cause: 'error', reason: `broke ${a}`, by: A })
    const v = taskView(g.derive(), ROOT)
    expect(v.status).toBe('failed')
    expect(v.failure).toMatch(/planning failed.*broke 3/)
  })
})

const status: TabStatus = {
  v: BRIDGE_VERSION, type: 'status', room: 'r', nodeId: 'n1', name: 'amber-otter', signaling: 'connected',
  peers: [{ id: 'n2', state: 'ready', engineState: 'ready', roles: ['planner'], simulated: true }],
  engine: 'sim', backend: 'sim', model: 'sim-fast', simulated: true, engineState: 'ready', tokensPerSec: 200, paused: false, busy: false,
  roles: ['planner', 'researcher'], tasksDone: 3, progress: { fraction: 0.5, text: 'half', loadedBytes: 10, totalBytes: 20 }, lastError: null,
}

describe('parseBridgeEvent', () => {
  it('accepts a well-formed status', () => {
    expect(parseBridgeEvent(status)).toEqual({ ok: true, value: status })
  })

  const bad: [string, unknown, RegExp][] = [
    ['not an object', 'status', /not an object/],
    ['another version', { ...status, v: 2 }, /version/],
    ['an unknown type', { ...status, type: 'exec' }, /unknown type/],
    ['a huge room name', { ...status, room: 'x'.repeat(500) }, /room/],
    ['a negative task count', { ...status, tasksDone: -1 }, /tasksDone/],
    ['a progress above 1', { ...status, progress: { fraction: 2, text: '' } }, /progress/],
    ['a peer without roles', { ...status, peers: [{ id: 'x', state: 'ready', engineState: 'ready', simulated: false }] }, /roles/],
    ['a non-boolean flag', { ...status, paused: 'no' }, /booleans/],
    ['a task with a bad status', { v: 1, type: 'task', taskId: 't', status: 'won', failure: null, steps: [], partial: null, answer: null, provenance: null }, /status/],
    ['a task with a forged provenance', { v: 1, type: 'task', taskId: 't', status: 'done', failure: null, steps: [], partial: null, answer: 'a', provenance: { node: 'n', name: 'n', engine: 'e', model: 'm', simulated: 'no', tokensPerSec: 1, promptTokens: 1, completionTokens: 1 } }, /provenance/],
  ]
  for (const [what, raw, reason] of bad) {
    it(`rejects ${what}`, () => {
      const parsed = parseBridgeEvent(raw)
      expect(parsed.ok).toBe(false)
      if (!parsed.ok) expect(parsed.reason).toMatch(reason)
    })
  }
})

describe('parseSubmitReply', () => {
  it('accepts both shapes and rejects anything else', () => {
    expect(parseSubmitReply({ ok: true, taskId: 'abc' })).toEqual({ ok: true, value: { ok: true, taskId: 'abc' } })
    expect(parseSubmitReply({ ok: false, code: 'BAD_PROMPT', message: 'too long' }).ok).toBe(true)
    expect(parseSubmitReply({ ok: true, taskId: '' }).ok).toBe(false)
    expect(parseSubmitReply({ ok: false, code: 'EXPLODE', message: 'x' }).ok).toBe(false)
    expect(parseSubmitReply(null).ok).toBe(false)
  })
})

