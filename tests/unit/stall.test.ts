/** The swarm notice's pure decision: why a ready step has nobody to run it, and what this tab can do. */
import { describe, expect, it } from 'vitest'
import { ALL_ROLES } from '../../src/board'
import { explainStall, explainStalls, formatSize, loadLabel, memberFromPresence, recommendedModel, type Recommended, type SwarmMember } from '../../src/ui/stall'
import { A, B, C, ROOT, claim, deriveOne, lease, snap, staticTask, tid } from './task-fixtures'
import { deriveBoard } from '../../src/scheduler/derive'

const REC: Recommended = { modelId: 'HuggingFaceTB/SmolLM2-135M-Instruct', sizeMB: 200 }
const all = [...ALL_ROLES]

function member(p: Partial<SwarmMember> = {}): SwarmMember {
  return { name: 'peer', self: false, paused: false, roles: all, engineState: 'idle', model: null, ...p }
}
const me = (p: Partial<SwarmMember> = {}): SwarmMember => member({ name: 'me', self: true, ...p })

/** A fresh task: root plus its ready plan step (the state right after submitting). */
function freshBoard(records: Parameters<typeof snap>[1] = {}) {
  const root = snap(staticTask({ id: ROOT, kind: 'root', title: 'Explain bees', maxAttempts: 1 }))
  const plan = snap(staticTask({ id: tid(`${ROOT}-plan`), kind: 'plan', role: 'planner', title: 'Plan: Explain bees' }), records)
  return deriveBoard([root, plan])
}

const explain = (members: SwarmMember[], recommended: Recommended | null = REC, derived = freshBoard()) => explainStall({ derived, rootId: ROOT, members, recommended })

describe('explainStall', () => {
  it('says nobody has a model loaded, names the recommended model and offers to load it', () => {
    const n = explain([me(), member({ name: 'amber-otter' })])!
    expect(n.kind).toBe('no-model')
    expect(n.role).toBe('planner')
    expect(n.taskIds).toEqual([`${ROOT}-plan`])
    expect(n.message).toContain('No tab in this room has a model loaded')
    expect(n.message).toContain('the planner step "Plan: Explain bees"')
    expect(n.message).toContain('HuggingFaceTB/SmolLM2-135M-Instruct (200 MB)')
    expect(n.actions).toEqual([{ kind: 'load', modelId: REC.modelId, label: 'Load HuggingFaceTB/SmolLM2-135M-Instruct (200 MB)' }])
  })

  it('is silent as soon as any member can take the step, busy generating included', () => {
    expect(explain([me(), member({ engineState: 'ready' })])).toBeNull()
    expect(explain([me({ engineState: 'generating' })])).toBeNull()
  })

  it('is silent once the step is claimed, even with no model anywhere', () => {
    expect(explain([me()], REC, freshBoard({ claims: [claim(A)] }))).toBeNull()
    expect(explain([me()], REC, freshBoard({ leases: [lease(B)] }))).toBeNull()
  })

  it('offers no load when this tab cannot load (no WebGPU, nothing fits, already loading)', () => {
    const noGpu = explain([me({ engineState: 'no-webgpu' }), member()])!
    expect(noGpu.kind).toBe('no-model')
    expect(noGpu.actions).toEqual([])
    expect(noGpu.message).toContain('no WebGPU')
    expect(explain([me(), member()], null)!.actions).toEqual([])
  })

  it('waits, without actions, while a tab that takes the role is loading a model', () => {
    const n = explain([me({ engineState: 'downloading', model: null }), member({ name: 'amber-otter', engineState: 'loading', model: 'SmolLM2-360M' })])!
    expect(n.kind).toBe('loading')
    expect(n.message).toContain('this tab, amber-otter')
    expect(n.message).toContain('SmolLM2-360M')
    expect(n.actions).toEqual([])
  })

  it('a loading tab that does not take the role does not count as help on the way', () => {
    const n = explain([me(), member({ engineState: 'loading', roles: ['researcher'] })])!
    expect(n.kind).toBe('no-model')
  })

  it('says everyone is paused, and offers to resume here', () => {
    const n = explain([me({ paused: true, engineState: 'ready' }), member({ paused: true, engineState: 'ready' })])!
    expect(n.kind).toBe('all-paused')
    expect(n.message).toContain('paused donating')
    expect(n.actions).toEqual([{ kind: 'resume', label: 'Resume donating' }])
  })

  it('everyone paused and no model: resume and load here', () => {
    const n = explain([me({ paused: true }), member({ paused: true })])!
    expect(n.kind).toBe('all-paused')
    expect(n.message).toContain('load a model there')
    expect(n.actions.map((a) => a.kind)).toEqual(['resume', 'load'])
  })

  it('every tab with a model paused, the rest without one: all-paused, resume only offered by a tab with a model', () => {
    const n = explain([me(), member({ name: 'amber-otter', paused: true, engineState: 'ready' })])!
    expect(n.kind).toBe('all-paused')
    expect(n.message).toContain('amber-otter')
    expect(n.actions).toEqual([])
  })

  it('says nobody takes the role, and offers to take it when this tab has a model', () => {
    const n = explain([me({ engineState: 'ready', roles: ['researcher'] }), member({ engineState: 'ready', roles: ['verifier'] })])!
    expect(n.kind).toBe('no-role')
    expect(n.message).toContain('No tab takes the planner role')
    expect(n.actions).toEqual([{ kind: 'enable-role', role: 'planner', label: 'Take the planner role' }])
  })

  it('no-role from another tab: names the tabs with a model, offers nothing here', () => {
    const n = explain([me({ roles: ['planner'] }), member({ name: 'amber-otter', engineState: 'ready', roles: ['researcher'] })])!
    expect(n.kind).toBe('no-role')
    expect(n.message).toContain('(amber-otter)')
    expect(n.actions).toEqual([])
  })

  it('no-role mentions paused tabs that do take the role', () => {
    const n = explain([me({ engineState: 'ready', roles: [] }), member({ name: 'amber-otter', engineState: 'ready', paused: true })])!
    expect(n.kind).toBe('no-role')
    expect(n.message).toContain('resume donating in amber-otter')
  })

  it('says every engine failed, with this tab\'s error, and offers to load again', () => {
    const n = explain([me({ engineState: 'error', error: 'DOWNLOAD_FAILED: network down' }), member({ engineState: 'no-webgpu' })])!
    expect(n.kind).toBe('all-failed')
    expect(n.message).toContain('Every engine in this room has failed')
    expect(n.message).toContain('DOWNLOAD_FAILED: network down')
    expect(n.actions.map((a) => a.kind)).toEqual(['load'])
  })

  it('one failed engine and one idle one is "no model", not "all failed"', () => {
    expect(explain([me({ engineState: 'error' }), member()])!.kind).toBe('no-model')
  })

  it('peers that publish no engine state count as having no model', () => {
    expect(explain([me({ engineState: 'ready', roles: [] }), member({ engineState: undefined })])!.kind).toBe('no-role')
    expect(explain([member({ engineState: undefined })])!.kind).toBe('no-model')
  })

  it('offers to take the role when this tab lacks it and nobody has a model', () => {
    const n = explain([me({ roles: ['researcher'] })])!
    expect(n.kind).toBe('no-model')
    expect(n.actions.map((a) => a.kind)).toEqual(['load', 'enable-role'])
  })

  it('pending steps (dependencies not done) are not stalled; only ready ones are', () => {
    const dep = snap(staticTask({ id: tid('s1'), role: 'researcher', title: 'first' }), { leases: [lease(C)] })
    const waiting = snap(staticTask({ id: tid('s2'), role: 'synthesizer', deps: [tid('s1')], title: 'second' }))
    const derived = deriveBoard([snap(staticTask({ id: ROOT, kind: 'root', maxAttempts: 1 })), dep, waiting])
    expect(derived.get(tid('s2'))!.status).toBe('pending')
    expect(explain([me()], REC, derived)).toBeNull()
  })

  it('groups several stalled steps of one role and picks the earliest role first', () => {
    const r = snap(staticTask({ id: ROOT, kind: 'root', maxAttempts: 1 }))
    const a = snap(staticTask({ id: tid('a'), role: 'researcher', createdAt: 2 }))
    const b = snap(staticTask({ id: tid('b'), role: 'researcher', createdAt: 3 }))
    const v = snap(staticTask({ id: tid('v'), role: 'verifier', createdAt: 1, kind: 'verify', verifies: { taskId: tid('x'), resultKey: 'k', attempt: 1, producer: B } }))
    const derived = deriveBoard([r, a, b, v])
    const mine = explain([me({ engineState: 'ready', roles: ['verifier'] })], REC, derived)!
    expect(mine.role).toBe('researcher')
    expect(mine.taskIds).toEqual(['a', 'b'])
    expect(mine.message).toContain('2 researcher steps')
  })

  it('ignores steps of other tasks and superseded steps', () => {
    const other = snap(staticTask({ id: tid('o1'), rootId: tid('other-root'), role: 'researcher' }))
    const derived = deriveBoard([snap(staticTask({ id: ROOT, kind: 'root', maxAttempts: 1 })), other])
    expect(explain([me()], REC, derived)).toBeNull()
    const sup = deriveOne(staticTask({ id: tid('s'), role: 'researcher' }))
    expect(explainStall({ derived: new Map([[sup.task.id, { ...sup, superseded: true }]]), rootId: ROOT, members: [me()], recommended: REC })).toBeNull()
  })
})

describe('explainStalls', () => {
  it('one notice per unfinished stuck task; finished tasks get none', () => {
    const derived = freshBoard()
    expect([...explainStalls(derived, [me()], REC).keys()]).toEqual([ROOT])
    const done = new Map([...derived].map(([k, d]) => [k, d.task.kind === 'root' ? { ...d, status: 'failed' as const } : d]))
    expect(explainStalls(done, [me()], REC).size).toBe(0)
  })
})

describe('labels', () => {
  it('formats sizes like the node panel would read them', () => {
    expect(formatSize(200)).toBe('200 MB')
    expect(formatSize(0.2)).toBe('1 MB')
    expect(formatSize(1536)).toBe('1.5 GB')
    expect(loadLabel({ modelId: 'm', sizeMB: 786 })).toBe('Load m (786 MB)')
  })
})

describe('inputs', () => {
  const model = (id: string, mb: number, testFixture = false) => ({ id, engine: 'transformers' as const, vramRequiredMB: mb, lowResourceRequired: true, requiredFeatures: [], quantization: 'q4', contextWindow: 4096, supportsJsonSchema: false, ...(testFixture ? { testFixture } : {}) })
  const models = [model('tiny-fixture', 1, true), model('small', 200), model('big', 786)]

  it('recommends the selected model, else the default, never the fixture, nothing without WebGPU', () => {
    expect(recommendedModel({ state: 'idle', models, selectedModel: 'big', defaultModel: 'small' })).toEqual({ modelId: 'big', sizeMB: 786 })
    expect(recommendedModel({ state: 'idle', models, selectedModel: 'tiny-fixture', defaultModel: 'small' })).toEqual({ modelId: 'small', sizeMB: 200 })
    expect(recommendedModel({ state: 'idle', models, selectedModel: null, defaultModel: null })).toBeNull()
    expect(recommendedModel({ state: 'no-webgpu', models, selectedModel: 'small', defaultModel: 'small' })).toBeNull()
  })

  it('reads a peer from its presence', () => {
    const m = memberFromPresence({ v: 1, id: A, name: 'amber-otter', appVersion: '1', state: 'paused', visible: true, meshPeerId: 'x', load: 0, hb: 0, caps: { webgpu: false, engineState: 'ready', roles: ['planner'], model: 'm' } } as never)
    expect(m).toEqual({ name: 'amber-otter', self: false, paused: true, roles: ['planner'], engineState: 'ready', model: 'm' })
  })
})
