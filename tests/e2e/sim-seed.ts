/**
 * The simulated engine is deterministic for (seed, request), so a spec can
 * find, in Node and before any browser starts, a seed whose plan for its
 * prompt has enough steps, instead of hoping the default seed does.
 */
import { createInProcessSimClient } from '../../src/inference/in-process-client'
import { plannerMessages } from '../../src/roles/prompts'
import { parsePlan, planSchema } from '../../src/roles/plan'

export async function seedForPlan(prompt: string, minSteps: number): Promise<number> {
  for (let seed = 1; seed <= 500; seed++) {
    const engine = createInProcessSimClient({ seed, tokensPerSec: 100_000, loadMs: 0 })
    await engine.load('sim-fast', () => {})
    const out = await engine.generate({ messages: plannerMessages(prompt), jsonSchema: planSchema(), maxTokens: 700, temperature: 0.3 }, () => {})
    engine.destroy()
    const plan = parsePlan(out.text)
    if (plan.ok && plan.value.steps.length >= minSteps) return seed
  }
  throw new Error(`no simulated seed in 1..500 plans "${prompt}" in ${minSteps}+ steps`)
}
