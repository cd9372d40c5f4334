/**
 * Prompts for each role. Small local models follow short, concrete
 * instructions best, so each prompt states the output format plainly and
 * repeats the essential context rather than referring to it.
 */
import type { ChatMessage } from '../inference/types'

export interface DepResult {
  readonly title: string
  readonly text: string
  /** 'failed' dependencies are passed on honestly rather than hidden. */
  readonly status: 'done' | 'failed' | 'unverified'
}

/**
 * Names the role, which helps small models stay in it; the simulated engine
 * also reads it to give each role its reply length (src/inference/sim/profile.ts).
 */
function system(role: 'planner' | 'researcher' | 'verifier' | 'synthesizer'): string {
  return `You are a ${role} node of MindOS Swarm, a group of small language models in browser tabs that solve tasks together. Be concise and factual.`
}

export function plannerMessages(task: string, retryReason?: string): ChatMessage[] {
  const retry = retryReason ? `\nYour previous plan was rejected: ${retryReason}. Fix that.` : ''
  return [
    { role: 'system', content: system('planner') },
    {
      role: 'user',
      content:
        `Split this task into 2 to 8 steps that different helpers can work on. ` +
        `Reply with JSON only: {"steps":[{"title":"short title","instructions":"what to do","dependsOn":[]}]}. ` +
        `"dependsOn" lists the numbers (1-based) of earlier steps whose results a step needs; a step may only depend on steps before it.${retry}\n\nTask: ${task}`,
    },
  ]
}

export function researcherMessages(task: string, step: { title: string; instructions: string }, deps: readonly DepResult[], feedback?: string): ChatMessage[] {
  const context = deps.length
    ? `\n\nResults of the steps this one builds on:\n${deps.map((d) => `- ${d.title}${d.status === 'failed' ? ' (FAILED, no result)' : ''}: ${d.text}`).join('\n')}`
    : ''
  const fix = feedback ? `\n\nA reviewer rejected the previous answer to this step: ${feedback}\nAddress that.` : ''
  return [
    { role: 'system', content: system('researcher') },
    { role: 'user', content: `Overall task: ${task}\n\nYour step: ${step.title}\n${step.instructions}${context}${fix}\n\nAnswer this step in a short paragraph.` },
  ]
}

export function verifierMessages(task: string, step: { title: string; instructions: string }, answer: string): ChatMessage[] {
  return [
    { role: 'system', content: system('verifier') },
    {
      role: 'user',
      content:
        `Check another helper's answer to one step of a task. Reply with JSON only: {"verdict":"pass" or "fail","reason":"one sentence"}. ` +
        `Fail it only if it is wrong, off-topic or empty.\n\nOverall task: ${task}\nStep: ${step.title}: ${step.instructions}\n\nAnswer to check:\n${answer}`,
    },
  ]
}

export function synthesizerMessages(task: string, parts: readonly DepResult[]): ChatMessage[] {
  const failed = parts.filter((p) => p.status === 'failed')
  const note = failed.length ? `\nThese steps failed and have no result: ${failed.map((p) => p.title).join('; ')}. Say plainly that those parts are missing.` : ''
  return [
    { role: 'system', content: system('synthesizer') },
    {
      role: 'user',
      content: `Write the final answer to the task from the results of its steps.${note}\n\nTask: ${task}\n\nStep results:\n${parts.map((p, i) => `${i + 1}. ${p.title}${p.status === 'unverified' ? ' (unverified)' : ''}: ${p.status === 'failed' ? '(failed)' : p.text}`).join('\n')}`,
    },
  ]
}
