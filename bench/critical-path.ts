/**
 * The critical-path bound of a finished task: how soon its answer could have
 * come with unlimited tabs and no scheduling cost at all, for the same graph
 * and the same outputs. Every stage takes its tokens ÷ decode speed; a step
 * can start once it was streamed out of the plan (its offset into the plan
 * run) and its dependencies were verified, and takes every attempt it needed
 * (a run a verifier rejected and its verdict come before the re-run); the
 * synthesis starts when the plan and every step are done. Pure: reads a
 * derived board.
 */
import type { TaskId } from '../src/board/dag-schema'
import type { DerivedTask } from '../src/scheduler/derive'
import { splitOrigin } from '../src/scheduler/derive'

export interface BoundReport {
  /** ms */
  readonly bound: number
  readonly steps: number
  readonly edges: number
  /** Longest chain of steps (1 = all independent). */
  readonly depth: number
}

export function criticalPathBound(derived: ReadonlyMap<TaskId, DerivedTask>, rootId: TaskId, tokensPerSec: number): BoundReport {
  const ms = (d: DerivedTask | undefined): number => (d?.accepted ? (d.accepted.result.provenance.completionTokens * 1000) / tokensPerSec : 0)
  const all = [...derived.values()].filter((d) => d.task.rootId === rootId && !d.superseded)
  const plan = all.find((d) => d.task.kind === 'plan')
  if (!plan?.accepted) throw new Error(`task ${rootId} has no accepted plan`)
  const planKey = plan.accepted.key
  const planStart = plan.accepted.result.provenance.startedAt
  const planMs = ms(plan)
  const underPlan = (d: DerivedTask): boolean => d.task.origin !== undefined && splitOrigin(d.task.origin)[0] === plan.task.id && splitOrigin(d.task.origin)[1] === planKey
  const steps = all.filter((d) => d.task.kind === 'research' && underPlan(d))
  const synth = all.find((d) => d.task.kind === 'synthesize' && underPlan(d))
  // Every attempt a step needed, in order: a run the verifier rejected, its verdict, the re-run, ... (rework is part of the graph).
  const attemptsMs = (step: DerivedTask): number => {
    let total = 0
    for (const [key, result] of step.task.results) {
      if (step.accepted && result.attempt > step.accepted.result.attempt) continue
      if (step.accepted && result.attempt === step.accepted.result.attempt && key !== step.accepted.key) continue
      total += (result.provenance.completionTokens * 1000) / tokensPerSec
      const verdicts = all.filter((v) => v.task.kind === 'verify' && v.task.verifies?.taskId === step.task.id && v.task.verifies.resultKey === key && v.accepted)
      total += Math.max(0, ...verdicts.map(ms))
    }
    return total
  }
  const done = new Map<string, number>()
  const depthOf = new Map<string, number>()
  const finish = (step: DerivedTask): number => {
    const known = done.get(step.task.id)
    if (known !== undefined) return known
    // Streamed steps appear during the plan run; steps written with the plan's result, at its end.
    const streamed = Math.min(planMs, Math.max(0, step.task.createdAt - planStart))
    const deps = step.task.deps.map((id) => derived.get(id)).filter((d): d is DerivedTask => d !== undefined)
    const start = Math.max(streamed, ...deps.map(finish))
    const end = start + attemptsMs(step)
    done.set(step.task.id, end)
    depthOf.set(step.task.id, 1 + Math.max(0, ...deps.map((d) => depthOf.get(d.task.id) ?? 0)))
    return end
  }
  const stepsDone = Math.max(planMs, ...steps.map(finish))
  return {
    bound: stepsDone + ms(synth),
    steps: steps.length,
    edges: steps.reduce((n, s) => n + s.task.deps.length, 0),
    depth: Math.max(0, ...depthOf.values()),
  }
}
