/**
 * Builders for the swarm execution core's unit tests: plain task snapshots
 * (no Y.Doc) for the pure derivation and policy functions, a mutable graph
 * that records runs the way the scheduler would (through the real
 * graph-builders), and a JSON summary of a derived board for comparisons.
 */
import { DAG_SCHEMA_VERSION, recordKey, type Claim, type Lease, type Provenance, type Requeue, type TaskId, type TaskResult, type TaskSnapshot, type TaskStatic } from '../../src/board/dag-schema'
import type { Clock } from '../../src/clock'
import type { GenerateResult } from '../../src/inference/types'
import type { NodeIdentity } from '../../src/mesh/identity'
import type { NodeId } from '../../src/mesh/protocol'
import type { Plan } from '../../src/roles/plan'
import type { RoleOutput } from '../../src/roles/run-role'
import { deriveBoard, type DerivedTask } from '../../src/scheduler/derive'
import { planChildren, planStepNode, verifyNodeFor } from '../../src/scheduler/graph-builders'
import type { Candidate } from '../../src/scheduler/policy'

export const A = 'node-aaaa-0001' as NodeId
export const B = 'node-bbbb-0002' as NodeId
export const C = 'node-cccc-0003' as NodeId
export const D = 'node-dddd-0004' as NodeId
export const ROOT = 'root-0000-0001' as TaskId

export const tid = (s: string): TaskId => s as TaskId
export const nid = (s: string): NodeId => s as NodeId
export const identity = (id: NodeId, name = `name-${id.slice(5, 9)}`): NodeIdentity => ({ id, name, createdAt: 0 })
export const clockAt = (t: number): Clock => ({ now: () => t, setTimeout: () => () => {} })

export function staticTask(p: Partial<TaskStatic> & { id: TaskId }): TaskStatic {
  const kind = p.kind ?? 'research'
  return {
    v: DAG_SCHEMA_VERSION,
    rootId: ROOT,
    kind,
    ...(kind === 'root' ? {} : { role: p.role ?? 'researcher' }),
    title: `title of ${p.id}`,
    prompt: `prompt of ${p.id}`,
    deps: [],
    createdAt: 1,
    createdBy: A,
    createdByName: 'amber-otter',
    maxAttempts: 3,
    ...p,
  }
}

export const claim = (node: NodeId, attempt = 1): Claim => ({ node, name: `n-${node.slice(5, 9)}`, attempt })
export const lease = (node: NodeId, attempt = 1, beat = 0): Lease => ({ node, name: `n-${node.slice(5, 9)}`, attempt, beat })

export function provenance(node: NodeId, p: Partial<Provenance> = {}): Provenance {
  return { node, name: `n-${node.slice(5, 9)}`, engine: 'sim', model: 'sim-tiny', simulated: true, tokensPerSec: 20, startedAt: 10, endedAt: 20, promptTokens: 5, completionTokens: 7, ...p }
}

export function result(node: NodeId, attempt = 1, p: Partial<Omit<TaskResult, 'provenance'>> & { provenance?: Partial<Provenance> } = {}): TaskResult {
  const { provenance: prov, ...rest } = p
  return { attempt, text: `answer ${attempt} by ${node}`, ...rest, provenance: provenance(node, prov) }
}

export const requeue = (attempt: number, p: Partial<Requeue> = {}): Requeue => ({ attempt, cause: 'error', reason: `attempt ${attempt} broke`, by: A, ...p })

export interface Records {
  claims?: Claim[]
  leases?: Lease[]
  results?: TaskResult[]
  requeues?: Requeue[]
}

export function snap(s: TaskStatic, r: Records = {}): TaskSnapshot {
  return {
    ...s,
    claims: new Map((r.claims ?? []).map((c) => [recordKey(c.attempt, c.node), c])),
    leases: new Map((r.leases ?? []).map((l) => [recordKey(l.attempt, l.node), l])),
    results: new Map((r.results ?? []).map((x) => [recordKey(x.attempt, x.provenance.node), x])),
    requeues: new Map((r.requeues ?? []).map((q) => [recordKey(q.attempt, q.by), q])),
    partials: new Map(),
  }
}

/** One task, derived alone (or with the given neighbours). */
export function deriveOne(s: TaskStatic, r: Records = {}, others: TaskSnapshot[] = []): DerivedTask {
  return deriveBoard([snap(s, r), ...others]).get(s.id)!
}

/** A mutable in-memory DAG: writes records the way the scheduler would, through the real graph builders. */
export class Graph {
  readonly statics = new Map<TaskId, TaskStatic>()
  readonly records = new Map<TaskId, Required<Records>>()

  constructor(prompt = 'Compare three sorting algorithms') {
    this.add(staticTask({ id: ROOT, kind: 'root', prompt, title: prompt, maxAttempts: 1 }))
    this.add(staticTask({ id: tid(`${ROOT}-plan`), kind: 'plan', role: 'planner', prompt }))
  }

  get planId(): TaskId {
    return tid(`${ROOT}-plan`)
  }

  add(s: TaskStatic): TaskStatic {
    if (!this.statics.has(s.id)) {
      this.statics.set(s.id, s)
      this.records.set(s.id, { claims: [], leases: [], results: [], requeues: [] })
    }
    return s
  }

  private rec(id: TaskId): Required<Records> {
    const r = this.records.get(id)
    if (!r) throw new Error(`no task ${id}`)
    return r
  }

  claim(id: TaskId, node: NodeId, attempt = 1): void {
    this.rec(id).claims.push(claim(node, attempt))
  }

  lease(id: TaskId, node: NodeId, attempt = 1): void {
    this.rec(id).leases.push(lease(node, attempt))
  }

  /** `node`'s lease of attempt k renewed to `beat` (leases are progressive: the highest beat is the one kept). */
  beat(id: TaskId, node: NodeId, beat: number, attempt = 1): void {
    const r = this.rec(id)
    r.leases = r.leases.filter((l) => !(l.node === node && l.attempt === attempt))
    r.leases.push(lease(node, attempt, beat))
  }

  /** A record exactly as given, with none of the honest writer's companions (what a hostile tab can write). */
  raw(id: TaskId, r: Records): void {
    const rec = this.rec(id)
    rec.claims.push(...(r.claims ?? []))
    rec.leases.push(...(r.leases ?? []))
    rec.results.push(...(r.results ?? []))
    rec.requeues.push(...(r.requeues ?? []))
  }

  /** `node` runs attempt k the way the scheduler does (claim, then lease), unless it already did. */
  ran(id: TaskId, node: NodeId, attempt = 1): void {
    const r = this.rec(id)
    if (!r.claims.some((c) => c.node === node && c.attempt === attempt)) r.claims.push(claim(node, attempt))
    if (!r.leases.some((l) => l.node === node && l.attempt === attempt)) r.leases.push(lease(node, attempt))
  }

  /**
   * Ends attempt k the way an honest tab would: if nobody claimed it yet, its
   * author ran it (so an error requeue is the winner's), and a liveness
   * requeue carries the winner's last beat. One record per (attempt, signer).
   */
  requeue(id: TaskId, q: Requeue): void {
    const r = this.rec(id)
    if (!r.claims.some((c) => c.attempt === q.attempt) && !r.leases.some((l) => l.attempt === q.attempt)) this.ran(id, q.by, q.attempt)
    if ((q.cause === 'holder-lost' || q.cause === 'claim-stale') && q.lastBeat === undefined) {
      const beats = r.leases.filter((l) => l.attempt === q.attempt).map((l) => l.beat)
      q = { ...q, lastBeat: beats.length > 0 ? Math.max(...beats) : -1 }
    }
    if (!r.requeues.some((x) => x.attempt === q.attempt && x.by === q.by)) r.requeues.push(q)
  }

  /** Adds a result, with the claim and lease its node wrote first; returns its key. */
  result(id: TaskId, res: TaskResult): string {
    this.ran(id, res.provenance.node, res.attempt)
    this.rec(id).results.push(res)
    return recordKey(res.attempt, res.provenance.node)
  }

  /** The planner `node` finishes with `plan`; returns [research ids..., synth id]. */
  plan(node: NodeId, plan: Plan, attempt = 1): TaskId[] {
    const key = this.result(this.planId, result(node, attempt, { text: JSON.stringify(plan) }))
    const kids = planChildren(this.snapshot(this.planId), key, plan, identity(node), 50)
    for (const k of kids) this.add(k)
    return kids.map((k) => k.id)
  }

  /** The planner `node` publishes step `index` of its attempt while it streams (no result yet); returns its id. */
  streamStep(node: NodeId, index: number, step: Plan['steps'][number], attempt = 1): TaskId {
    return this.add(planStepNode(this.snapshot(this.planId), recordKey(attempt, node), index, step, identity(node), 40 + index)).id
  }

  /** `node` answers research task `id`; returns the verify node's id. */
  research(id: TaskId, node: NodeId, attempt = 1, text?: string, completionTokens = 7): TaskId {
    const key = this.result(id, result(node, attempt, { ...(text ? { text } : {}), provenance: { completionTokens } }))
    return this.add(verifyNodeFor(this.snapshot(id), key, attempt, node, identity(node), 60)).id
  }

  /** `node` judges verify task `vid`; a fail requeues the judged attempt with feedback. */
  verdict(vid: TaskId, node: NodeId, verdict: 'pass' | 'fail', reason = 'because', attempt = 1): void {
    this.result(vid, result(node, attempt, { verdict, reason }))
    const v = this.statics.get(vid)?.verifies
    if (verdict === 'fail' && v) this.requeue(v.taskId, requeue(v.attempt, { cause: 'verification-failed', reason: `rejected: ${reason}`, feedback: reason, by: node }))
  }

  snapshot(id: TaskId): TaskSnapshot {
    return snap(this.statics.get(id)!, this.rec(id))
  }

  snapshots(): TaskSnapshot[] {
    return [...this.statics.keys()].map((id) => this.snapshot(id))
  }

  derive(order?: (list: TaskSnapshot[]) => TaskSnapshot[]): Map<TaskId, DerivedTask> {
    const list = this.snapshots()
    return deriveBoard(order ? order(list) : list)
  }
}

export const twoSteps: Plan = {
  steps: [
    { title: 'Find facts', instructions: 'Find the relevant facts', dependsOn: [] },
    { title: 'Analyse facts', instructions: 'Analyse the facts found', dependsOn: [1] },
  ],
}

export const threeSteps: Plan = { steps: [...twoSteps.steps, { title: 'Conclude', instructions: 'Draw the conclusions', dependsOn: [1, 2] }] }

/** Order-free, comparable view of a derived board. */
export function summary(derived: ReadonlyMap<TaskId, DerivedTask>): unknown[] {
  return [...derived.values()]
    .map((d) => ({
      id: d.task.id,
      status: d.status,
      attempt: d.attempt,
      superseded: d.superseded,
      winner: d.winner ?? null,
      accepted: d.accepted?.key ?? null,
      verification: d.verification ?? null,
      failure: d.failure ?? null,
      feedback: d.feedback ?? null,
    }))
    .sort((a, b) => a.id.localeCompare(b.id))
}

export function candidate(id: NodeId, p: Partial<Candidate> = {}): Candidate {
  return { id, roles: ['planner', 'researcher', 'verifier', 'synthesizer'], tokensPerSec: 20, load: 0, visible: true, available: true, capable: true, ...p }
}

/** A derived task as the policy functions see it. */
export function derived(s: Partial<TaskStatic> & { id: TaskId }, d: Partial<Omit<DerivedTask, 'task'>> = {}, r: Records = {}): DerivedTask {
  return { task: snap(staticTask(s), r), status: 'ready', attempt: 1, superseded: false, ...d }
}

export const boardOf = (list: DerivedTask[]): Map<TaskId, DerivedTask> => new Map(list.map((d) => [d.task.id, d]))

export function generated(text: string, p: Partial<GenerateResult> = {}): GenerateResult {
  return {
    runId: 'run-1',
    text,
    finishReason: 'stop',
    usage: { promptTokens: 11, completionTokens: 13, decodeTokensPerSec: 17, prefillTokensPerSec: 100 },
    engine: 'sim',
    model: 'sim-tiny',
    simulated: true,
    ...p,
  }
}

export function roleOutput(text: string, p: Partial<RoleOutput> = {}): RoleOutput {
  return { text, last: generated(text), promptTokens: 11, completionTokens: 13, ...p }
}
