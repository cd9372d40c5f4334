/**
 * What goes into a role run (the task's context, read from the board) and
 * what comes out of it (the records to write back). Pure.
 */
import type { Requeue, TaskId, TaskResult, TaskSnapshot, TaskStatic } from '../board/dag-schema'
import type { NodeId } from '../mesh/protocol'
import type { DepResult } from '../roles/prompts'
import type { RoleInput, RoleOutput } from '../roles/run-role'
import type { DerivedTask } from './derive'
import { planChildren, verifyNodesFor } from './graph-builders'

export function buildRoleInput(d: DerivedTask, tasks: readonly TaskSnapshot[], derived: ReadonlyMap<string, DerivedTask>): RoleInput {
  const task = d.task
  const byId = new Map(tasks.map((t) => [t.id, t]))
  const rootPrompt = byId.get(task.rootId)?.prompt ?? task.prompt
  const depResults = (ids: readonly TaskId[]): DepResult[] =>
    ids.flatMap((id): DepResult[] => {
      const dep = derived.get(id)
      if (!dep) return []
      if (dep.status !== 'done' || !dep.accepted) return [{ title: dep.task.title, text: dep.failure ?? 'no result', status: 'failed' as const }]
      return [{ title: dep.task.title, text: dep.accepted.result.text, status: dep.verification === 'unverified' ? ('unverified' as const) : ('done' as const) }]
    })
  const base = { role: task.role!, rootPrompt, title: task.title, instructions: task.prompt, deps: depResults(task.deps), ...(d.feedback ? { feedback: d.feedback } : {}) }
  if (task.kind !== 'verify' || !task.verifies) return base
  const target = byId.get(task.verifies.taskId)
  const answer = target?.results.get(task.verifies.resultKey)?.text ?? ''
  return { ...base, title: target?.title ?? task.title, instructions: target?.prompt ?? task.prompt, answer }
}

export interface ResultWrites {
  readonly result: TaskResult
  readonly children: TaskStatic[]
  readonly requeue?: { taskId: TaskId; requeue: Requeue }
}

/** `quorum`: the root's (research results get that many verify slots; see quorum.ts). */
export function resultWrites(d: DerivedTask, out: RoleOutput, self: { id: NodeId; name: string }, startedAt: number, endedAt: number, quorum = 1): ResultWrites {
  const task = d.task
  const provenance = {
    node: self.id,
    name: self.name,
    engine: out.last.engine,
    model: out.last.model,
    simulated: out.last.simulated,
    tokensPerSec: Math.max(0, out.last.usage.decodeTokensPerSec || 0),
    startedAt,
    endedAt,
    promptTokens: out.promptTokens,
    completionTokens: out.completionTokens,
  }
  const key = `${d.attempt}:${self.id}`
  const result: TaskResult = {
    attempt: d.attempt,
    text: (out.plan ? JSON.stringify(out.plan) : out.text).slice(0, 24_000),
    provenance,
    ...(out.verdict ? { verdict: out.verdict.verdict, reason: out.verdict.reason } : out.note ? { reason: out.note } : {}),
  }
  switch (task.kind) {
    case 'plan':
      return { result, children: planChildren(task, key, out.plan!, self, endedAt) }
    case 'research':
      return { result, children: verifyNodesFor(task, key, d.attempt, self.id, self, endedAt, quorum) }
    case 'verify': {
      const v = task.verifies!
      if (out.verdict?.verdict !== 'fail') return { result, children: [] }
      const requeue: Requeue = { attempt: v.attempt, cause: 'verification-failed', reason: `rejected by ${self.name}: ${out.verdict.reason}`, feedback: out.verdict.reason, by: self.id }
      return { result, children: [], requeue: { taskId: v.taskId, requeue } }
    }
    default:
      return { result, children: [] }
  }
}
