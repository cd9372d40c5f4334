/**
 * Runs one role on one task through an InferenceClient: builds the prompt,
 * asks for schema-constrained JSON where the role needs it, validates what
 * came back, and retries with the reason when it is invalid. Model output is
 * untrusted input like anything else.
 */
import type { GenerateResult, InferenceClient } from '../inference/types'
import type { ChatMessage } from '../inference/types'
import type { Role } from '../board/dag-schema'
import { fallbackPlan, parsePlan, planSchema, type Plan } from './plan'
import { parseVerdict, verdictSchema, type Verdict } from './verdict'
import { plannerMessages, researcherMessages, synthesizerMessages, verifierMessages, type DepResult } from './prompts'
import { PlanStream, planFromPrefix, samePlan, type StreamedStep } from './plan-stream'

export class RoleOutputError extends Error {
  override readonly name = 'RoleOutputError'
}

export interface RoleInput {
  readonly role: Role
  /** The user's whole task (the root prompt). */
  readonly rootPrompt: string
  readonly title: string
  readonly instructions: string
  readonly deps: readonly DepResult[]
  readonly feedback?: string
  /** Verifier: the answer being judged. */
  readonly answer?: string
}

export interface RoleOutput {
  readonly text: string
  readonly plan?: Plan
  readonly verdict?: Verdict
  /** Something the reader should know, e.g. that the planner fell back to one step. */
  readonly note?: string
  readonly last: GenerateResult
  readonly promptTokens: number
  readonly completionTokens: number
}

export interface RunOptions {
  readonly signal: AbortSignal
  readonly onText: (textSoFar: string) => void
  readonly runId: string
  /**
   * Planner only: each step as soon as its object is complete and valid. Once
   * one step went out, the plan returned is exactly the published steps
   * (completed to MIN_STEPS by a whole-task step): they are on the board.
   */
  readonly onPlanStep?: (streamed: StreamedStep) => void
}

const PLAN_TRIES = 3
const VERDICT_TRIES = 2

export async function runRole(input: RoleInput, inference: InferenceClient, opts: RunOptions): Promise<RoleOutput> {
  let promptTokens = 0
  let completionTokens = 0
  let attempt = 0
  const generate = async (messages: ChatMessage[], jsonSchema: object | undefined, maxTokens: number, temperature: number, onDelta?: (delta: string) => void): Promise<GenerateResult> => {
    let text = ''
    const result = await inference.generate(
      { messages, maxTokens, temperature, runId: `${opts.runId}-${attempt++}`, signal: opts.signal, ...(jsonSchema ? { jsonSchema } : {}) },
      (delta) => {
        text += delta
        onDelta?.(delta)
        opts.onText(text)
      },
    )
    promptTokens += result.usage.promptTokens
    completionTokens += result.usage.completionTokens
    return result
  }
  const done = (last: GenerateResult, extra: Omit<RoleOutput, 'last' | 'promptTokens' | 'completionTokens'>): RoleOutput => ({ ...extra, last, promptTokens, completionTokens })

  switch (input.role) {
    case 'planner': {
      let reason: string | undefined
      let last: GenerateResult | undefined
      for (let i = 0; i < PLAN_TRIES; i++) {
        const stream = new PlanStream()
        last = await generate(plannerMessages(input.rootPrompt, reason), planSchema(), 700, 0.3, (delta) => {
          for (const streamed of stream.push(delta)) opts.onPlanStep?.(streamed)
        })
        const parsed = parsePlan(last.text)
        if (stream.steps.length > 0) {
          // Steps already went out: keep exactly that valid prefix (README, "How a task runs").
          const plan = planFromPrefix(stream.steps, input.rootPrompt)
          if (parsed.ok && samePlan(parsed.value, stream.steps)) return done(last, { text: last.text, plan })
          const why = stream.stopReason ?? (last.finishReason === 'length' ? 'was cut off at the token limit' : parsed.ok ? 'went on with steps that could not be published' : parsed.reason)
          const n = stream.steps.length
          return done(last, { text: JSON.stringify(plan), plan, note: `The planner's reply broke off after ${n} step${n === 1 ? '' : 's'} (${why}); the swarm kept the ${n} valid step${n === 1 ? '' : 's'} it had already started${plan.steps.length > n ? ', plus one that answers the whole task' : ''}.` })
        }
        if (parsed.ok) return done(last, { text: last.text, plan: parsed.value })
        reason = parsed.reason
      }
      const plan = fallbackPlan(input.rootPrompt)
      return done(last!, { text: JSON.stringify(plan), plan, note: `The planner's output was invalid ${PLAN_TRIES} times (last: ${reason}); the task runs as a single step.` })
    }
    case 'verifier': {
      let reason = ''
      for (let i = 0; i < VERDICT_TRIES; i++) {
        const last = await generate(verifierMessages(input.rootPrompt, { title: input.title, instructions: input.instructions }, input.answer ?? ''), verdictSchema(), 200, 0.1)
        const parsed = parseVerdict(last.text)
        if (parsed.ok) return done(last, { text: last.text, verdict: parsed.value })
        reason = parsed.reason
      }
      throw new RoleOutputError(`the verifier's reply was invalid ${VERDICT_TRIES} times: ${reason}`)
    }
    case 'researcher':
    case 'synthesizer': {
      const messages =
        input.role === 'researcher'
          ? researcherMessages(input.rootPrompt, { title: input.title, instructions: input.instructions }, input.deps, input.feedback)
          : synthesizerMessages(input.rootPrompt, input.deps)
      const last = await generate(messages, undefined, input.role === 'researcher' ? 400 : 600, 0.6)
      if (last.text.trim() === '') throw new RoleOutputError(`the ${input.role}'s reply was empty`)
      return done(last, { text: last.text.trim() })
    }
  }
}
