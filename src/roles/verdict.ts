/** The verifier's output: pass or fail with a reason. */
import type { ParseResult } from '../mesh/protocol'
import { parseJsonReply } from './plan'

export interface Verdict {
  readonly verdict: 'pass' | 'fail'
  readonly reason: string
}

/** The schema's bound on the reason (the parser accepts up to 300): one sentence, and cheap to compile as a grammar (see plan.ts). */
const REASON_MAX = 60

export function verdictSchema(): object {
  return {
    type: 'object',
    properties: { verdict: { type: 'string', enum: ['pass', 'fail'] }, reason: { type: 'string', minLength: 3, maxLength: REASON_MAX } },
    required: ['verdict', 'reason'],
    additionalProperties: false,
  }
}

export function parseVerdict(text: string): ParseResult<Verdict> {
  const json = parseJsonReply(text)
  if (!json.ok) return json
  const { verdict, reason } = json.value
  if (verdict !== 'pass' && verdict !== 'fail') return { ok: false, reason: '"verdict" must be "pass" or "fail"' }
  const why = typeof reason === 'string' ? reason.trim().slice(0, 300) : ''
  if (why === '') return { ok: false, reason: 'a verdict needs a reason' }
  return { ok: true, value: { verdict, reason: why } }
}
