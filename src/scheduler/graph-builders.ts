/**
 * Pure builders for the nodes a result creates: a plan's subtasks and its
 * synthesis, and the verification of a research result. Ids are derived
 * from the result that creates them, so the same result always creates the
 * same nodes, on whichever tab writes them.
 */
import { DAG_SCHEMA_VERSION, type TaskId, type TaskSnapshot, type TaskStatic } from '../board/dag-schema'
import type { NodeId } from '../mesh/protocol'
import type { Plan } from '../roles/plan'
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

export function planChildren(plan: TaskSnapshot, resultKey: string, steps: Plan, author: Author, now: number): TaskStatic[] {
  const prefix = `${plan.rootId}-${idPart(resultKey)}`
  const base = { v: DAG_SCHEMA_VERSION, rootId: plan.rootId, createdAt: now, createdBy: author.id, createdByName: author.name, origin: originOf(plan.id, resultKey) } as const
  const ids = steps.steps.map((_, i) => compactId(`${prefix}-s${i + 1}`))
  const research: TaskStatic[] = steps.steps.map((step, i) => ({
    ...base,
    id: ids[i]!,
    kind: 'research',
    role: 'researcher',
    title: step.title,
    prompt: step.instructions,
    deps: step.dependsOn.map((d) => ids[d - 1]!).filter(Boolean),
    maxAttempts: RESEARCH_MAX_ATTEMPTS,
  }))
  const synth: TaskStatic = { ...base, id: compactId(`${prefix}-synth`), kind: 'synthesize', role: 'synthesizer', title: 'Synthesize', prompt: plan.prompt, deps: ids, maxAttempts: SYNTH_MAX_ATTEMPTS }
  return [...research, synth]
}

export function verifyNodeFor(task: TaskSnapshot, resultKey: string, attempt: number, producer: NodeId, author: Author, now: number): TaskStatic {
  return {
    v: DAG_SCHEMA_VERSION,
    id: compactId(`${task.id}-v-${idPart(resultKey)}`),
    rootId: task.rootId,
    kind: 'verify',
    role: 'verifier',
    title: `Verify: ${task.title}`.slice(0, 120),
    prompt: task.prompt,
    deps: [],
    createdAt: now,
    createdBy: author.id,
    createdByName: author.name,
    maxAttempts: VERIFY_MAX_ATTEMPTS,
    origin: originOf(task.id, resultKey),
    verifies: { taskId: task.id, attempt, resultKey, producer },
  }
}
