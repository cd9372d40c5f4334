/**
 * The planner's output: 2–8 steps with short titles and dependencies.
 *
 * The JSON schema handed to the engine makes any schema-valid plan a DAG:
 * it uses `prefixItems`, so step i may only depend on steps 1..i-1.
 * Engines without schema-constrained decoding can still return anything, so
 * `validatePlan` checks everything again: step count, dangling and self
 * references, and cycles. Forward references are accepted when they form no
 * cycle (the graph is still a DAG). It says exactly what is wrong, so the
 * retry prompt can tell the model.
 */
import type { ParseResult } from '../mesh/protocol'

export const MIN_STEPS = 2
export const MAX_STEPS = 8
const MAX_DEPS_PER_STEP = 3

export interface PlanStep {
  readonly title: string
  readonly instructions: string
  /** 1-based step numbers this step needs. */
  readonly dependsOn: readonly number[]
}

export interface Plan {
  readonly steps: readonly PlanStep[]
}

/**
 * String bounds in the schema (the parser below stays lenient: 60/400) are
 * what grammar-constrained engines enforce, and they trade reply length for
 * compile time: xgrammar compiles every character position of a bounded
 * string against the whole vocabulary, about linearly in maxLength. On a
 * 150k-entry vocabulary these bounds compile in seconds where 60/400 took
 * most of a minute, and eight steps fit a 700-token planner budget even for
 * a model that always writes strings to the limit (bench/grammar.ts, README).
 */
const TITLE_MAX = 24
const INSTRUCTIONS_MAX = 48

export function planSchema(): object {
  const step = (i: number): object => ({
    type: 'object',
    properties: {
      title: { type: 'string', minLength: 3, maxLength: TITLE_MAX },
      instructions: { type: 'string', minLength: 10, maxLength: INSTRUCTIONS_MAX },
      dependsOn: i === 0 ? { type: 'array', maxItems: 0, items: { type: 'integer' } } : { type: 'array', maxItems: Math.min(i, MAX_DEPS_PER_STEP), items: { type: 'integer', enum: Array.from({ length: i }, (_, j) => j + 1) } },
    },
    required: ['title', 'instructions', 'dependsOn'],
    additionalProperties: false,
  })
  return {
    type: 'object',
    properties: {
      steps: { type: 'array', minItems: MIN_STEPS, maxItems: MAX_STEPS, prefixItems: Array.from({ length: MAX_STEPS }, (_, i) => step(i)), items: false },
    },
    required: ['steps'],
    additionalProperties: false,
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Model output → the JSON object in it, or why there is none (shared by every role that asks for JSON). */
export function parseJsonReply(text: string): ParseResult<Record<string, unknown>> {
  let raw: unknown
  try {
    raw = JSON.parse(extractJson(text))
  } catch {
    return { ok: false, reason: 'the reply is not valid JSON' }
  }
  return isRecord(raw) ? { ok: true, value: raw } : { ok: false, reason: 'the reply is not a JSON object' }
}

/** Parses model output into a plan, or explains (for a person and for the retry prompt) why not. */
export function parsePlan(text: string): ParseResult<Plan> {
  const json = parseJsonReply(text)
  if (!json.ok) return json
  const raw = json.value
  if (!Array.isArray(raw.steps)) return { ok: false, reason: 'the reply has no "steps" array' }
  const steps: PlanStep[] = []
  for (const [i, s] of raw.steps.entries()) {
    const step = parseStep(s, i)
    if (!step.ok) return step
    steps.push(step.value)
  }
  const checked = validatePlan({ steps })
  return checked.ok ? { ok: true, value: { steps } } : checked
}

/** One step object of a reply (0-based index `i`): trimmed, capped, duplicate dependencies dropped. Shared with the streamed plan (plan-stream.ts). */
export function parseStep(s: unknown, i: number): ParseResult<PlanStep> {
  if (!isRecord(s)) return { ok: false, reason: `step ${i + 1} is not an object` }
  const title = typeof s.title === 'string' ? s.title.trim() : ''
  const instructions = typeof s.instructions === 'string' ? s.instructions.trim() : ''
  if (title === '' || instructions === '') return { ok: false, reason: `step ${i + 1} needs a title and instructions` }
  const deps = Array.isArray(s.dependsOn) ? s.dependsOn : []
  if (!deps.every((d) => Number.isInteger(d))) return { ok: false, reason: `step ${i + 1} has non-numeric dependencies` }
  return { ok: true, value: { title: title.slice(0, 60), instructions: instructions.slice(0, 400), dependsOn: [...new Set(deps as number[])] } }
}

export function validatePlan(plan: Plan): ParseResult<Plan> {
  const n = plan.steps.length
  if (n < MIN_STEPS || n > MAX_STEPS) return { ok: false, reason: `a plan needs ${MIN_STEPS}–${MAX_STEPS} steps, this one has ${n}` }
  for (const [i, step] of plan.steps.entries()) {
    for (const d of step.dependsOn) {
      if (d < 1 || d > n) return { ok: false, reason: `step ${i + 1} depends on step ${d}, which does not exist` }
      if (d === i + 1) return { ok: false, reason: `step ${i + 1} depends on itself` }
    }
  }
  const cycle = findCycle(plan.steps.map((s) => s.dependsOn.map((d) => d - 1)))
  if (cycle) return { ok: false, reason: `steps ${cycle.map((i) => i + 1).join(' → ')} depend on each other in a cycle` }
  return { ok: true, value: plan }
}

/** Returns one cycle (as step indices) or null. Iterative DFS: plans are tiny, but inputs are untrusted. */
export function findCycle(edges: readonly (readonly number[])[]): number[] | null {
  const state = new Array<number>(edges.length).fill(0) // 0 new, 1 on stack, 2 done
  const parent = new Array<number>(edges.length).fill(-1)
  for (let start = 0; start < edges.length; start++) {
    if (state[start] !== 0) continue
    const stack: { node: number; next: number }[] = [{ node: start, next: 0 }]
    state[start] = 1
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!
      const targets = edges[top.node] ?? []
      if (top.next >= targets.length) {
        state[top.node] = 2
        stack.pop()
        continue
      }
      const to = targets[top.next++]!
      if (state[to] === 1) {
        // `to` is on the stack, so walking parents from here reaches it.
        const cycle: number[] = []
        for (let at = top.node; ; at = parent[at]!) {
          cycle.push(at)
          if (at === to) break
        }
        return cycle.reverse()
      }
      if (state[to] === 0) {
        state[to] = 1
        parent[to] = top.node
        stack.push({ node: to, next: 0 })
      }
    }
  }
  return null
}

/** Small models wrap JSON in prose or code fences; take the outermost object. */
export function extractJson(text: string): string {
  const start = text.indexOf('{')
  const end = text.lastIndexOf('}')
  return start >= 0 && end > start ? text.slice(start, end + 1) : text
}

/** When the planner can't produce a valid plan: the whole task as one step, so nothing is lost. */
export function fallbackPlan(task: string): Plan {
  return { steps: [{ title: 'Answer the task', instructions: task.slice(0, 400), dependsOn: [] }] }
}
