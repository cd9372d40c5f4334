/** The streamed plan: step objects handed over as they complete, the same for any chunking, and the valid-prefix rules. */
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../src/clock'
import { generateFromSchema } from '../../src/inference/sim'
import { parsePlan, planSchema, type PlanStep } from '../../src/roles/plan'
import { PlanStream, StepScanner, planFromPrefix, samePlan } from '../../src/roles/plan-stream'

/** Splits text at random points (including empty chunks and single characters). */
function chunks(text: string, seed: number): string[] {
  const random = seededRandom(seed)
  const out: string[] = []
  let i = 0
  while (i < text.length) {
    const n = Math.floor(random.next() * (random.next() < 0.3 ? 2 : 12))
    out.push(text.slice(i, i + n))
    i += n
  }
  return out
}

function streamAll(parts: readonly string[]): { steps: PlanStep[]; at: number[]; stop: string | null } {
  const stream = new PlanStream()
  const at: number[] = []
  let fed = 0
  for (const part of parts) {
    fed += part.length
    for (const s of stream.push(part)) {
      expect(s.index).toBe(at.length)
      at.push(fed)
    }
  }
  return { steps: stream.steps, at, stop: stream.stopReason }
}

const step = (title: string, dependsOn: number[] = []): PlanStep => ({ title, instructions: `Do ${title} carefully`, dependsOn })
const PLAN = { steps: [step('Collect data'), step('Tricky "quoted" {braces} [and] \\ slashes', [1]), step('Compare', [1, 2]), step('Write up', [3])] }

describe('StepScanner', () => {
  it('hands over each element of the top-level steps array when its closing brace arrives', () => {
    const scanner = new StepScanner()
    const text = JSON.stringify(PLAN)
    const firstEnd = text.indexOf('},{') + 1
    expect(scanner.push(text.slice(0, firstEnd - 1))).toEqual([])
    expect(scanner.push(text.slice(firstEnd - 1, firstEnd))).toEqual([PLAN.steps[0]])
    expect(scanner.push(text.slice(firstEnd))).toEqual(PLAN.steps.slice(1))
    expect(scanner.finished).toBe(true)
  })

  it('skips prose before the JSON and other keys, and ignores nested "steps"', () => {
    const text = 'Sure! Here is the plan:\n```json\n{"note":{"steps":[1,2]},"steps":[{"title":"A b","instructions":"do a","dependsOn":[]}]}\n```'
    expect(new StepScanner().push(text)).toEqual([{ title: 'A b', instructions: 'do a', dependsOn: [] }])
  })

  it('stops at an element that is not an object', () => {
    const scanner = new StepScanner()
    expect(scanner.push('{"steps":[{"title":"x"},"oops",{"title":"y"}]}')).toEqual([{ title: 'x' }])
    expect(scanner.broken).toMatch(/step 2 is not an object/)
  })
})

describe('PlanStream', () => {
  it('yields the same steps for every chunking of the same reply (seeded random chunkings)', () => {
    const text = `  ${JSON.stringify(PLAN, null, 1)}`
    for (let seed = 1; seed <= 300; seed++) {
      const { steps, stop } = streamAll(chunks(text, seed))
      expect(steps, `seed ${seed}`).toEqual(PLAN.steps)
      expect(stop).toBeNull()
    }
  })

  it('hands each step over as soon as its object is complete, not at the end of the reply', () => {
    const text = JSON.stringify(PLAN)
    const { at } = streamAll([...text])
    const ends = [...text.matchAll(/\]\}/g)].map((m) => (m.index ?? 0) + 2)
    expect(at).toEqual(ends.slice(0, PLAN.steps.length))
  })

  it('agrees with parsePlan on every plan the simulated engine writes for the schema, in random chunks', () => {
    for (let seed = 0; seed < 150; seed++) {
      const text = JSON.stringify(generateFromSchema(planSchema(), seededRandom(seed), ['solar', 'panels']))
      const whole = parsePlan(text)
      expect(whole.ok).toBe(true)
      const { steps, stop } = streamAll(chunks(text, seed + 1000))
      expect(stop, `seed ${seed}`).toBeNull()
      if (whole.ok) expect(samePlan(whole.value, steps), `seed ${seed}`).toBe(true)
    }
  })

  it('ends the valid prefix at a step that depends on a later step or itself', () => {
    const forward = JSON.stringify({ steps: [step('One thing'), step('Two things', [3]), step('Three things')] })
    expect(streamAll([forward])).toMatchObject({ steps: [step('One thing')], stop: 'step 2 depends on step 3, which does not come before it' })
    const self = JSON.stringify({ steps: [step('One thing'), step('Two things', [2])] })
    expect(streamAll([self]).stop).toBe('step 2 depends on itself')
  })

  it('ends the valid prefix at an invalid step, and after the eighth', () => {
    const empty = JSON.stringify({ steps: [step('One thing'), { title: ' ', instructions: 'x', dependsOn: [] }, step('Three')] })
    expect(streamAll([empty])).toMatchObject({ steps: [step('One thing')], stop: 'step 2 needs a title and instructions' })
    const nine = JSON.stringify({ steps: Array.from({ length: 9 }, (_, i) => step(`Step ${i + 1}`)) })
    const r = streamAll(chunks(nine, 5))
    expect(r.steps).toHaveLength(8)
    expect(r.stop).toBe('a plan has at most 8 steps')
  })

  it('keeps the complete steps of a reply that is cut off or turns into garbage', () => {
    const text = JSON.stringify(PLAN)
    const cut = text.slice(0, text.lastIndexOf('{"title"') + 15)
    expect(streamAll(chunks(cut, 3)).steps).toEqual(PLAN.steps.slice(0, 3))
    const garbage = `${text.slice(0, text.indexOf('},{') + 1)},{"title": tru}]`
    const g = streamAll(chunks(garbage, 4))
    expect(g.steps).toEqual(PLAN.steps.slice(0, 1))
    expect(g.stop).toMatch(/step 2 is not valid JSON/)
  })

  it('trims, caps and de-duplicates like parsePlan', () => {
    const text = JSON.stringify({ steps: [{ title: '  A  ', instructions: `  ${'x'.repeat(500)}  `, dependsOn: [] }, { title: 'B', instructions: 'b', dependsOn: [1, 1] }] })
    const { steps } = streamAll([text])
    expect(steps[0]).toEqual({ title: 'A', instructions: 'x'.repeat(400), dependsOn: [] })
    expect(steps[1]!.dependsOn).toEqual([1])
  })
})

describe('planFromPrefix', () => {
  it('is exactly the published steps when there are enough', () => {
    expect(planFromPrefix(PLAN.steps.slice(0, 2), 'task').steps).toEqual(PLAN.steps.slice(0, 2))
  })

  it('completes a one-step prefix with a step that answers the whole task from it', () => {
    expect(planFromPrefix([step('Only')], 'The whole task').steps).toEqual([step('Only'), { title: 'Answer the task', instructions: 'The whole task', dependsOn: [1] }])
  })
})
