/** The simulated engine's workload profile: reply length per role, plan width, and how the URL sets them. */
import { describe, expect, it } from 'vitest'
import { DEFAULT_SIM_LENGTHS, SimEngine, parseSimLengths, simRoleOf, tokenize } from '../../src/inference/sim'
import { parseInferenceParams } from '../../src/inference/url-options'
import { parsePlan, planSchema } from '../../src/roles/plan'
import { plannerMessages, researcherMessages, synthesizerMessages, verifierMessages } from '../../src/roles/prompts'
import { parseVerdict, verdictSchema } from '../../src/roles/verdict'
import { ManualClock } from './fake-clock'

const TASK = 'Compare three ways to store energy from solar panels for a village'
const requests = {
  plan: { messages: plannerMessages(TASK), jsonSchema: planSchema(), maxTokens: 700, temperature: 0.3 },
  research: { messages: researcherMessages(TASK, { title: 'Batteries', instructions: 'Describe battery storage' }, []), maxTokens: 400, temperature: 0.6 },
  verify: { messages: verifierMessages(TASK, { title: 'Batteries', instructions: 'Describe battery storage' }, 'Batteries store energy.'), jsonSchema: verdictSchema(), maxTokens: 200, temperature: 0.1 },
  synthesize: { messages: synthesizerMessages(TASK, [{ title: 'Batteries', text: 'They store energy.', status: 'done' }]), maxTokens: 600, temperature: 0.6 },
} as const

async function reply(engine: SimEngine, clock: ManualClock, req: (typeof requests)[keyof typeof requests]): Promise<string> {
  return (await clock.runUntilSettled(engine.generate(req, () => {}))).text
}

async function engineWith(opts: ConstructorParameters<typeof SimEngine>[0] extends infer O ? Omit<O & object, 'clock'> : never = {}) {
  const clock = new ManualClock()
  const engine = new SimEngine({ clock, tokensPerSec: 100_000, ...opts })
  await clock.runUntilSettled(engine.load('sim-fast', () => {}))
  return { clock, engine }
}

describe('simulated engine profile', () => {
  it('reads the role from the schema or the system prompt of each request', () => {
    expect(simRoleOf(requests.plan)).toBe('plan')
    expect(simRoleOf(requests.research)).toBe('research')
    expect(simRoleOf(requests.verify)).toBe('verify')
    expect(simRoleOf(requests.synthesize)).toBe('synthesize')
    expect(simRoleOf({ messages: [{ role: 'user', content: 'hello' }] }), 'the try box').toBeNull()
  })

  it('writes about the default number of tokens per role (±10 % jitter, a few % fit), keeping JSON valid', async () => {
    // Six steps, the benchmarks' width: the plan schema's string bounds (src/roles/plan.ts) cap
    // what any plan can hold, about 30 tokens a step, so a narrower plan can't reach 200 tokens.
    for (let seed = 1; seed <= 8; seed++) {
      const { clock, engine } = await engineWith({ seed, planSteps: 6 })
      for (const role of ['plan', 'research', 'verify', 'synthesize'] as const) {
        const text = await reply(engine, clock, requests[role])
        const n = tokenize(text).length
        const want = DEFAULT_SIM_LENGTHS[role]
        expect(n, `${role}, seed ${seed}: ${n} tokens`).toBeGreaterThanOrEqual(Math.floor(want * 0.8))
        expect(n, `${role}, seed ${seed}: ${n} tokens`).toBeLessThanOrEqual(Math.ceil(want * 1.2))
        if (role === 'plan') expect(parsePlan(text).ok).toBe(true)
        if (role === 'verify') expect(parseVerdict(text).ok).toBe(true)
      }
    }
  })

  it('follows the configured lengths and plan width', async () => {
    const { clock, engine } = await engineWith({ lengths: { research: 60, plan: 150 }, planSteps: 6 })
    const research = tokenize(await reply(engine, clock, requests.research)).length
    expect(research).toBeGreaterThanOrEqual(54)
    expect(research).toBeLessThanOrEqual(66)
    const plan = await reply(engine, clock, requests.plan)
    const parsed = parsePlan(plan)
    expect(parsed.ok && parsed.value.steps.length).toBe(6)
    expect(Math.abs(tokenize(plan).length - 150)).toBeLessThanOrEqual(0.15 * 150)
  })

  it('never writes more than maxTokens, and ignores invalid profile values', async () => {
    const { clock, engine } = await engineWith({ lengths: { synthesize: 5_000, research: -3 } as never, planSteps: 12 })
    expect(tokenize(await reply(engine, clock, requests.synthesize)).length).toBeLessThanOrEqual(600)
    const research = tokenize(await reply(engine, clock, requests.research)).length
    expect(research).toBeGreaterThanOrEqual(DEFAULT_SIM_LENGTHS.research * 0.85)
    const plan = parsePlan(await reply(engine, clock, requests.plan))
    expect(plan.ok && plan.value.steps.length).toBeLessThanOrEqual(8)
  })
})

describe('?simLengths and ?simPlanSteps', () => {
  it('parses any subset of role:tokens', () => {
    expect(parseSimLengths('plan:200,research:250,verify:40,synthesize:400')).toEqual({ ok: true, value: DEFAULT_SIM_LENGTHS })
    expect(parseSimLengths(' verify : 12 ')).toEqual({ ok: true, value: { verify: 12 } })
  })

  it('says what is wrong with a bad value', () => {
    expect(parseSimLengths('plan=200')).toEqual({ ok: false, reason: '"plan=200" is not role:tokens' })
    expect(parseSimLengths('summary:20')).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown role "summary"/) })
    expect(parseSimLengths('plan:0')).toMatchObject({ ok: false, reason: expect.stringMatching(/1–4000 tokens/) })
    expect(parseSimLengths('plan:1,plan:2')).toMatchObject({ ok: false, reason: 'plan is given twice' })
  })

  it('reach the worker options with engine=sim, and bad values fall back with a problem the page shows', () => {
    const ok = parseInferenceParams('?engine=sim&simLengths=plan:300,verify:30&simPlanSteps=6', 'http://127.0.0.1:8787/')
    expect(ok).toMatchObject({ engine: 'sim', simLengths: { plan: 300, verify: 30 }, simPlanSteps: 6, problems: [] })
    const bad = parseInferenceParams('?engine=sim&simLengths=plan:lots&simPlanSteps=9', 'http://127.0.0.1:8787/')
    expect(bad.simLengths).toBeUndefined()
    expect(bad.simPlanSteps).toBeUndefined()
    expect(bad.problems).toEqual([
      '?simPlanSteps="9" must be a whole number of steps from 2 to 8; using the default.',
      '?simLengths="plan:lots" is not valid ("plan:lots" is not role:tokens); using the defaults plan:200,research:250,verify:40,synthesize:400.',
    ])
    const other = parseInferenceParams('?simPlanSteps=4', 'http://127.0.0.1:8787/')
    expect(other.simPlanSteps).toBeUndefined()
    expect(other.problems).toEqual(['?simLengths= and ?simPlanSteps= apply to engine=sim only; ignored.'])
  })
})
