/** The simulated engine's schema generator against the schema checker: seeded fuzz plus targeted cases. */
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../src/clock'
import { checkSchema } from '../../src/inference/schema-check'
import { generateFromSchema } from '../../src/inference/sim'
import { planSchema, validatePlan } from '../../src/roles/plan'
import { verdictSchema } from '../../src/roles/verdict'
import { PLAN_SCHEMA, VERDICT_SCHEMA } from './inference-contract'

const SCHEMAS: Record<string, object> = {
  plan: PLAN_SCHEMA,
  verdict: VERDICT_SCHEMA,
  numbers: {
    type: 'object',
    properties: {
      score: { type: 'number', minimum: 0, maximum: 1 },
      count: { type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 4 },
      flag: { type: 'boolean' },
      none: { type: 'null' },
      maybe: { type: ['string', 'null'], maxLength: 5 },
    },
    required: ['score', 'count', 'flag', 'none', 'maybe'],
  },
  nested: {
    type: 'array',
    minItems: 2,
    maxItems: 2,
    items: { anyOf: [{ type: 'string', minLength: 20 }, { type: 'integer' }] },
  },
  oneOf: { oneOf: [{ const: 'a' }, { type: 'integer' }] },
  tight: { type: 'string', minLength: 30, maxLength: 30 },
  'roles/plan': planSchema(),
  'roles/verdict': verdictSchema(),
  tuple: { type: 'array', prefixItems: [{ type: 'integer' }, { type: 'string', enum: ['a'] }], items: false, minItems: 2, uniqueItems: true },
}

describe('schema generator', () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    it(`always satisfies the ${name} schema (200 seeds)`, () => {
      for (let seed = 0; seed < 200; seed++) {
        const value = generateFromSchema(schema, seededRandom(seed), ['solar', 'panels', 'report'])
        const errors = checkSchema(schema, JSON.parse(JSON.stringify(value)))
        if (errors.length > 0) throw new Error(`seed ${seed}: ${errors.join('; ')} in ${JSON.stringify(value)}`)
      }
    })
  }

  it('makes plans whose dependsOn only reference earlier subtasks (an acyclic DAG)', () => {
    for (let seed = 0; seed < 200; seed++) {
      const plan = generateFromSchema(PLAN_SCHEMA, seededRandom(seed), ['x']) as { subtasks: { id: string; dependsOn: string[] }[] }
      const seen = new Set<string>()
      for (const t of plan.subtasks) {
        for (const d of t.dependsOn) expect(seen.has(d), `seed ${seed}`).toBe(true)
        expect(seen.has(t.id)).toBe(false)
        seen.add(t.id)
      }
    }
  })

  it('makes plans the planner role accepts (prefixItems DAG schema)', () => {
    for (let seed = 0; seed < 200; seed++) {
      const plan = generateFromSchema(planSchema(), seededRandom(seed), ['x']) as Parameters<typeof validatePlan>[0]
      const checked = validatePlan(plan)
      expect(checked.ok, `seed ${seed}: ${JSON.stringify(checked)}`).toBe(true)
    }
  })

  it('is deterministic for a seed and uses the prompt words', () => {
    const a = JSON.stringify(generateFromSchema(PLAN_SCHEMA, seededRandom(3), ['bees', 'dance']))
    expect(JSON.stringify(generateFromSchema(PLAN_SCHEMA, seededRandom(3), ['bees', 'dance']))).toBe(a)
    expect(a).toMatch(/bees|dance/)
  })
})

describe('schema checker', () => {
  it('reports violations with paths', () => {
    expect(checkSchema(VERDICT_SCHEMA, { verdict: 'maybe' })).toEqual([
      '$: missing required "reason"',
      '$.verdict: "maybe" is not one of ["pass","fail"]',
    ])
    expect(checkSchema(PLAN_SCHEMA, { subtasks: [] })).toEqual(['$.subtasks: fewer than 1 items'])
    expect(checkSchema(PLAN_SCHEMA, { subtasks: [{ id: 's1', title: 'abc', role: 'researcher', dependsOn: [], extra: 1 }] })).toEqual([
      '$.subtasks[0]: unexpected property "extra"',
    ])
    expect(checkSchema({ type: 'integer' }, 1.5)).toEqual(['$: expected integer, got number'])
    expect(checkSchema({ type: 'number', maximum: 2 }, 3)).toEqual(['$: above maximum 2'])
    expect(checkSchema({ type: 'string', pattern: '^a' }, 'b')).toEqual(['$: does not match ^a'])
    expect(checkSchema({ oneOf: [{ type: 'number' }, { type: 'integer' }] }, 1)).toEqual(['$: must match exactly one of oneOf'])
    expect(checkSchema(true, 'anything')).toEqual([])
    expect(checkSchema({ prefixItems: [{ type: 'integer' }], items: false }, [1, 2])).toEqual(['$[1]: no items allowed beyond the first 1'])
    expect(checkSchema({ prefixItems: [{ type: 'integer' }] }, ['a'])).toEqual(['$[0]: expected integer, got string'])
    expect(checkSchema({ type: 'array', uniqueItems: true }, [1, 1])).toEqual(['$: items are not unique'])
  })
})
