/** The planner role with a streamed reply: steps go out as they complete, and the plan returned is the published prefix. */
import { describe, expect, it } from 'vitest'
import type { GenerateRequest, InferenceClient } from '../../src/inference/types'
import type { PlanStep } from '../../src/roles/plan'
import type { StreamedStep } from '../../src/roles/plan-stream'
import { runRole, type RoleInput } from '../../src/roles/run-role'
import { generated } from './task-fixtures'

/** FAKE engine: each generate() streams the next scripted reply in small chunks. */
function scripted(replies: string[], finishReason: 'stop' | 'length' = 'stop'): { client: InferenceClient; requests: GenerateRequest[]; log: string[] } {
  const requests: GenerateRequest[] = []
  const log: string[] = []
  const client = {
    generate: async (req: GenerateRequest, onToken: (d: string) => void) => {
      requests.push(req)
      const text = replies.shift() ?? ''
      for (let i = 0; i < text.length; i += 7) {
        onToken(text.slice(i, i + 7))
        await Promise.resolve()
      }
      log.push('generate returned')
      return generated(text, { finishReason })
    },
  } as unknown as InferenceClient
  return { client, requests, log }
}

const planner: RoleInput = { role: 'planner', rootPrompt: 'Compare three databases', title: 'Plan', instructions: 'Compare three databases', deps: [] }
const step = (title: string, dependsOn: number[] = []): PlanStep => ({ title, instructions: `Look into ${title}`, dependsOn })
const steps = [step('Postgres'), step('SQLite'), step('Compare them', [1, 2])]

function run(client: InferenceClient, log: string[] = []) {
  const published: StreamedStep[] = []
  const out = runRole(planner, client, {
    signal: new AbortController().signal,
    runId: 'r',
    onText: () => {},
    onPlanStep: (s) => {
      published.push(s)
      log.push(`published ${s.index + 1}`)
    },
  })
  return { out, published }
}

describe('runRole: planner with a streamed reply', () => {
  it('publishes every step before the reply ends, and returns exactly those steps', async () => {
    const { client, log } = scripted([JSON.stringify({ steps })])
    const { out, published } = run(client, log)
    const result = await out
    expect(published.map((p) => p.step)).toEqual(steps)
    expect(log.indexOf('published 1')).toBeLessThan(log.indexOf('generate returned'))
    expect(result.plan).toEqual({ steps })
    expect(result.note).toBeUndefined()
  })

  it('keeps the valid prefix when the reply turns invalid after some steps, without retrying', async () => {
    const text = JSON.stringify({ steps }).replace('{"title":"Compare them"', '{"title": oops')
    const { client, requests } = scripted([text, JSON.stringify({ steps })])
    const { out, published } = run(client)
    const result = await out
    expect(requests).toHaveLength(1)
    expect(published).toHaveLength(2)
    expect(result.plan).toEqual({ steps: steps.slice(0, 2) })
    expect(result.note).toMatch(/broke off after 2 steps \(step 3 is not valid JSON\); the swarm kept the 2 valid steps/)
  })

  it('keeps the prefix of a reply cut off at the token limit', async () => {
    const text = JSON.stringify({ steps })
    const { client } = scripted([text.slice(0, text.indexOf('{"title":"Compare them"') + 20)], 'length')
    const result = await run(client).out
    expect(result.plan).toEqual({ steps: steps.slice(0, 2) })
    expect(result.note).toMatch(/cut off at the token limit/)
  })

  it('completes a one-step prefix with a step that answers the whole task', async () => {
    const text = JSON.stringify({ steps: [steps[0], { ...steps[1], dependsOn: [7] }, steps[2]] })
    const { client } = scripted([text])
    const result = await run(client).out
    expect(result.plan?.steps).toEqual([steps[0], { title: 'Answer the task', instructions: 'Compare three databases', dependsOn: [1] }])
    expect(result.note).toMatch(/plus one that answers the whole task/)
  })

  it('retries with the reason while nothing was published, then falls back to one step', async () => {
    const { client, requests } = scripted(['not json', '{"steps":[]}', '{"steps": 3}'])
    const { out, published } = run(client)
    const result = await out
    expect(published).toEqual([])
    expect(requests).toHaveLength(3)
    expect(requests[1]!.messages.at(-1)!.content).toMatch(/rejected: the reply is not valid JSON/)
    expect(result.plan?.steps).toHaveLength(1)
    expect(result.note).toMatch(/invalid 3 times/)
  })

  it('still accepts a valid plan that could not be streamed (a forward reference in step 1)', async () => {
    const forward = { steps: [step('Later part', [2]), step('Earlier part')] }
    const { client } = scripted([JSON.stringify(forward)])
    const { out, published } = run(client)
    const result = await out
    expect(published).toEqual([])
    expect(result.plan).toEqual(forward)
  })
})
