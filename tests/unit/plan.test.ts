import { describe, expect, it } from 'vitest'
import { seededRandom, type Random } from '../../src/clock'
import { checkSchema } from '../../src/inference/schema-check'
import { MAX_STEPS, MIN_STEPS, extractJson, fallbackPlan, findCycle, parsePlan, planSchema, validatePlan, type Plan, type PlanStep } from '../../src/roles/plan'

const step = (n: number, dependsOn: number[] = []): PlanStep => ({ title: `Step ${n}`, instructions: `Do the work of step ${n}`, dependsOn })
const planOf = (...deps: number[][]): Plan => ({ steps: deps.map((d, i) => step(i + 1, d)) })
const text = (p: Plan): string => JSON.stringify(p)
const reasonOf = (r: { ok: boolean; reason?: string }): string => (r.ok ? 'ok' : r.reason!)

/** Asserts `cycle` is a real cycle of `edges`: each consecutive pair, and last→first, is an edge. */
function expectCycle(edges: number[][], cycle: number[] | null, seed?: number): void {
  expect(cycle, `seed ${seed}`).not.toBeNull()
  expect(cycle!.length, `seed ${seed}`).toBeGreaterThan(0)
  expect(new Set(cycle).size, `seed ${seed}: cycle repeats a node`).toBe(cycle!.length)
  cycle!.forEach((from, i) => {
    const to = cycle![(i + 1) % cycle!.length]!
    expect(edges[from], `seed ${seed}: ${from}→${to} is not an edge of ${JSON.stringify(edges)}`).toContain(to)
  })
}

function hasCycle(edges: number[][]): boolean {
  // Kahn: a cycle remains when not every node can be removed.
  const indeg = edges.map(() => 0)
  edges.forEach((ts) => ts.forEach((t) => indeg[t]!++))
  const queue = indeg.flatMap((d, i) => (d === 0 ? [i] : []))
  let removed = 0
  while (queue.length) {
    const n = queue.pop()!
    removed++
    for (const t of edges[n]!) if (--indeg[t]! === 0) queue.push(t)
  }
  return removed < edges.length
}

/** Generates plans the planner's JSON schema allows (2–8 steps, deps only on earlier steps, ≤ 3 each). */
function schemaValidPlan(rnd: Random): Plan {
  const int = (lo: number, hi: number) => lo + Math.floor(rnd.next() * (hi - lo + 1))
  const str = (lo: number, hi: number) => Array.from({ length: int(lo, hi) }, () => 'abcdefghij klmnop'[int(0, 16)]).join('').replace(/^ | $/g, 'x')
  const n = int(MIN_STEPS, MAX_STEPS)
  return {
    steps: Array.from({ length: n }, (_, i) => ({
      title: str(3, 24),
      instructions: str(10, 48),
      dependsOn: [...new Set(Array.from({ length: int(0, Math.min(i, 3)) }, () => int(1, i)))],
    })),
  }
}

describe('parsePlan', () => {
  it('accepts a valid plan and returns its steps', () => {
    const plan = planOf([], [1], [1, 2])
    expect(parsePlan(text(plan))).toEqual({ ok: true, value: plan })
  })

  it('finds the JSON inside prose and code fences', () => {
    const plan = planOf([], [1])
    expect(parsePlan(`Sure! Here is the plan:\n${text(plan)}\nGood luck.`)).toEqual({ ok: true, value: plan })
    expect(parsePlan('```json\n' + JSON.stringify(plan, null, 2) + '\n```')).toEqual({ ok: true, value: plan })
  })

  it('trims text, caps its length and drops duplicate dependencies', () => {
    const raw = { steps: [{ title: '  Gather  ', instructions: ` ${'i'.repeat(500)} `, dependsOn: [] }, { title: 't'.repeat(80), instructions: 'Use step one', dependsOn: [1, 1] }] }
    const r = parsePlan(JSON.stringify(raw))
    expect(r.ok && r.value.steps.map((s) => [s.title.length, s.instructions.length, s.dependsOn])).toEqual([[6, 400, []], [60, 12, [1]]])
  })

  it('explains what is wrong with broken replies', () => {
    expect(reasonOf(parsePlan('I cannot plan this.'))).toBe('the reply is not valid JSON')
    expect(reasonOf(parsePlan('{"steps": [1, 2'))).toBe('the reply is not valid JSON')
    expect(reasonOf(parsePlan('{"plan": []}'))).toBe('the reply has no "steps" array')
    expect(reasonOf(parsePlan('[{"title": "x"}]'))).toBe('the reply has no "steps" array')
    expect(reasonOf(parsePlan('{"steps": [{"title": "A", "instructions": "Do A", "dependsOn": []}, "B"]}'))).toBe('step 2 is not an object')
    expect(reasonOf(parsePlan('{"steps": [{"title": "A", "dependsOn": []}, {"title": "B", "instructions": "b"}]}'))).toBe('step 1 needs a title and instructions')
    expect(reasonOf(parsePlan('{"steps": [{"title": " ", "instructions": "Do A"}, {"title": "B", "instructions": "b"}]}'))).toBe('step 1 needs a title and instructions')
    expect(reasonOf(parsePlan('{"steps": [{"title": "A", "instructions": "a"}, {"title": "B", "instructions": "b", "dependsOn": ["1"]}]}'))).toBe('step 2 has non-numeric dependencies')
    expect(reasonOf(parsePlan('{"steps": [{"title": "A", "instructions": "a"}, {"title": "B", "instructions": "b", "dependsOn": [1.5]}]}'))).toBe('step 2 has non-numeric dependencies')
  })
})

describe('validatePlan', () => {
  it(`needs ${MIN_STEPS} to ${MAX_STEPS} steps`, () => {
    expect(reasonOf(validatePlan(planOf([])))).toBe('a plan needs 2–8 steps, this one has 1')
    expect(reasonOf(validatePlan({ steps: [] }))).toBe('a plan needs 2–8 steps, this one has 0')
    expect(reasonOf(validatePlan(planOf(...Array.from({ length: 9 }, () => []))))).toBe('a plan needs 2–8 steps, this one has 9')
    expect(validatePlan(planOf([], [])).ok).toBe(true)
    expect(validatePlan(planOf(...Array.from({ length: 8 }, (_, i) => (i ? [i] : [])))).ok).toBe(true)
  })

  it('rejects dangling dependencies (0 and n+1) and self-dependencies', () => {
    expect(reasonOf(validatePlan(planOf([], [0])))).toBe('step 2 depends on step 0, which does not exist')
    expect(reasonOf(validatePlan(planOf([], [1], [4])))).toBe('step 3 depends on step 4, which does not exist')
    expect(reasonOf(validatePlan(planOf([], [-1])))).toBe('step 2 depends on step -1, which does not exist')
    expect(reasonOf(validatePlan(planOf([], [2])))).toBe('step 2 depends on itself')
    expect(reasonOf(parsePlan(text(planOf([], [1], [3]))))).toBe('step 3 depends on itself')
  })

  it('rejects 2- and 3-cycles made of forward references, naming the steps', () => {
    expect(reasonOf(validatePlan(planOf([2], [1])))).toBe('steps 1 → 2 depend on each other in a cycle')
    expect(reasonOf(validatePlan(planOf([], [3], [4], [2])))).toBe('steps 2 → 3 → 4 depend on each other in a cycle')
    expect(reasonOf(parsePlan(text(planOf([3], [1], [2]))))).toMatch(/^steps (1 → 3 → 2|3 → 2 → 1|2 → 1 → 3) depend on each other in a cycle$/)
  })

  it('accepts every plan the schema allows (seeded generator), and the schema checker agrees', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const plan = schemaValidPlan(seededRandom(seed))
      expect(checkSchema(planSchema(), plan), `seed ${seed}`).toEqual([])
      expect(parsePlan(`Plan:\n${text(plan)}`), `seed ${seed}`).toEqual({ ok: true, value: plan })
    }
  })
})

describe('planSchema', () => {
  it('accepts a hand-written plan', () => {
    expect(checkSchema(planSchema(), { steps: [{ title: 'Collect', instructions: 'Collect the sources', dependsOn: [] }, { title: 'Write', instructions: 'Write it all up', dependsOn: [1] }] })).toEqual([])
  })

  it('rejects forward references, self references, too few and too many steps, and extra fields', () => {
    const fwd = planOf([2], [])
    const self = planOf([], [2])
    expect(checkSchema(planSchema(), fwd).length).toBeGreaterThan(0)
    expect(checkSchema(planSchema(), self).length).toBeGreaterThan(0)
    expect(checkSchema(planSchema(), planOf([])).length).toBeGreaterThan(0)
    expect(checkSchema(planSchema(), planOf(...Array.from({ length: 9 }, () => []))).length).toBeGreaterThan(0)
    expect(checkSchema(planSchema(), { ...planOf([], []), note: 'x' }).length).toBeGreaterThan(0)
    expect(checkSchema(planSchema(), planOf([], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4])).length).toBeGreaterThan(0) // > 3 deps
  })
})

describe('findCycle', () => {
  it('returns null for a DAG and the cycle itself otherwise', () => {
    expect(findCycle([[], [0], [0, 1], [2]])).toBeNull()
    expect(findCycle([])).toBeNull()
    expectCycle([[0]], findCycle([[0]]))
    expectCycle([[], [2], [3], [1]], findCycle([[], [2], [3], [1]]))
    expectCycle([[1], [2], [3], [4], [0]], findCycle([[1], [2], [3], [4], [0]]))
  })

  it('finds a real cycle exactly when the graph has one (seeded random graphs)', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const rnd = seededRandom(seed)
      const n = 1 + Math.floor(rnd.next() * 8)
      const edges = Array.from({ length: n }, () => [...new Set(Array.from({ length: Math.floor(rnd.next() * 3) }, () => Math.floor(rnd.next() * n)))])
      const cycle = findCycle(edges)
      if (hasCycle(edges)) expectCycle(edges, cycle, seed)
      else expect(cycle, `seed ${seed}: ${JSON.stringify(edges)}`).toBeNull()
    }
  })
})

describe('extractJson and fallbackPlan', () => {
  it('takes the outermost object, or returns the text unchanged', () => {
    expect(extractJson('x {"a": {"b": 1}} y')).toBe('{"a": {"b": 1}}')
    expect(extractJson('no json here')).toBe('no json here')
    expect(extractJson('} backwards {')).toBe('} backwards {')
  })

  it('runs the whole task as one step', () => {
    const p = fallbackPlan('t'.repeat(1000))
    expect(p.steps).toHaveLength(1)
    expect(p.steps[0]).toEqual({ title: 'Answer the task', instructions: 't'.repeat(400), dependsOn: [] })
  })
})
