/**
 * Pure builders for the nodes a result creates: a plan's subtasks and its
 * synthesis, and the verification of a research result. Ids are derived
 * from the result that creates them, so the same result always creates the
 * same nodes, on whichever tab writes them.
 */
import { DAG_SCHEMA_VERSION, type TaskId, type TaskSnapshot, type TaskStatic } from '../board/dag-schema'
import type { NodeId } from '../mesh/protocol'
import { MAX_STEPS, type Plan, type PlanStep } from '../roles/plan'
import { originOf } from './derive'

export const RESEARCH_MAX_ATTEMPTS = 3
export const VERIFY_MAX_ATTEMPTS = 2
export const SYNTH_MAX_ATTEMPTS = 3

interface Author {
  readonly id: NodeId
  readonly name: string
}

/** Task ids are capped at 96 characters (dag-schema.ts); long parts are replaced by a hash so children always fit. */
export function compactId(id: string): TaskId {
  if (id.length <= 96) return id as TaskId
  let h = 0x811c9dc5
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0
  return `${id.slice(0, 80)}-${h.toString(36)}` as TaskId
}

const idPart = (resultKey: string): string => resultKey.replace(':', '-')

/**
 * Step i (0-based) of a plan attempt. The planner publishes each step while
 * it streams, under the key its result will have (`${attempt}:${node}`), so
 * the streamed node and the one written with the result are the same node.
 */
export function planStepNode(plan: TaskSnapshot, resultKey: string, index: number, step: PlanStep, author: Author, now: number): TaskStatic {
  const id = (i: number): TaskId => compactId(`${plan.rootId}-${idPart(resultKey)}-s${i + 1}`)
  return {
    v: DAG_SCHEMA_VERSION,
    rootId: plan.rootId,
    createdAt: now,
    createdBy: author.id,
    createdByName: author.name,
    origin: originOf(plan.id, resultKey),
    id: id(index),
    kind: 'research',
    role: 'researcher',
    title: step.title,
    prompt: step.instructions,
    deps: step.dependsOn.filter((d) => d >= 1 && d <= MAX_STEPS).map((d) => id(d - 1)),
    maxAttempts: RESEARCH_MAX_ATTEMPTS,
  }
}

export function planChildren(plan: TaskSnapshot, resultKey: string, steps: Plan, author: Author, now: number): TaskStatic[] {
  const research = steps.steps.map((step, i) => planStepNode(plan, resultKey, i, step, author, now))
  const synth: TaskStatic = {
    v: DAG_SCHEMA_VERSION,
    rootId: plan.rootId,
    createdAt: now,
    createdBy: author.id,
    createdByName: author.name,
    origin: originOf(plan.id, resultKey),
    id: compactId(`${plan.rootId}-${idPart(resultKey)}-synth`),
    kind: 'synthesize',
    role: 'synthesizer',
    title: 'Synthesize',
    prompt: plan.prompt,
    deps: research.map((r) => r.id),
    maxAttempts: SYNTH_MAX_ATTEMPTS,
  }
  return [...research, synth]
}

/**
 * The verify node of one quorum slot. Slot 1 keeps the id verification
 * always had; the others carry their number. With a quorum of k ≥ 2 the
 * producer writes slots 1..k and a tiebreak slot k + 1, which only runs when
 * the first k disagree (quorum.ts), so no later writer is ever needed.
 */
export function verifyNodeFor(task: TaskSnapshot, resultKey: string, attempt: number, producer: NodeId, author: Author, now: number, slot = 1): TaskStatic {
  return {
    v: DAG_SCHEMA_VERSION,
    id: compactId(`${task.id}-v${slot === 1 ? '' : slot}-${idPart(resultKey)}`),
    rootId: task.rootId,
    kind: 'verify',
    role: 'verifier',
    title: `Verify${slot === 1 ? '' : ` (${slot})`}: ${task.title}`.slice(0, 120),
    prompt: task.prompt,
    deps: [],
    createdAt: now,
    createdBy: author.id,
    createdByName: author.name,
    maxAttempts: VERIFY_MAX_ATTEMPTS,
    origin: originOf(task.id, resultKey),
    verifies: { taskId: task.id, attempt, resultKey, producer, ...(slot === 1 ? {} : { slot }) },
  }
}

/** Every verify node a research result needs under a quorum of `quorum`: its slots, and the tiebreak when quorum ≥ 2. */
export function verifyNodesFor(task: TaskSnapshot, resultKey: string, attempt: number, producer: NodeId, author: Author, now: number, quorum: number): TaskStatic[] {
  const slots = quorum >= 2 ? quorum + 1 : 1
  return Array.from({ length: slots }, (_, i) => verifyNodeFor(task, resultKey, attempt, producer, author, now, i + 1))
}
