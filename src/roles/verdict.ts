/** The verifier's output: pass or fail with a reason. */
import type { ParseResult } from '../mesh/protocol'
import { parseJsonReply } from './plan'

export interface Verdict {
  readonly verdict: 'pass' | 'fail'
  readonly reason: string
}

/**
 * The schema's bound on the reason (the parser accepts up to 300). The reason is the feedback a
 * rejected step's next attempt gets, so it needs room for one real sentence (~40 tokens, what
 * small instruct models write); 120 characters compile in ~9 s on a 150k vocabulary, once per
 * model per tab (60 took ~4 s but left no room for useful feedback). See plan.ts.
 */
const REASON_MAX = 120

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
