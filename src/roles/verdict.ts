/** The verifier's output: pass or fail with a reason. */
import type { ParseResult } from '../mesh/protocol'
import { extractJson } from './plan'

export interface Verdict {
  readonly verdict: 'pass' | 'fail'
  readonly reason: string
}

export function verdictSchema(): object {
  return {
    type: 'object',
    properties: { verdict: { type: 'string', enum: ['pass', 'fail'] }, reason: { type: 'string', minLength: 3, maxLength: 300 } },
    required: ['verdict', 'reason'],
    additionalProperties: false,
  }
}

export function parseVerdict(text: string): ParseResult<Verdict> {
  let raw: unknown
  try {
    raw = JSON.parse(extractJson(text))
  } catch {
    return { ok: false, reason: 'the reply is not valid JSON' }
  }
  if (typeof raw !== 'object' || raw === null) return { ok: false, reason: 'the reply is not an object' }
  const { verdict, reason } = raw as Record<string, unknown>
  if (verdict !== 'pass' && verdict !== 'fail') return { ok: false, reason: '"verdict" must be "pass" or "fail"' }
  const why = typeof reason === 'string' ? reason.trim().slice(0, 300) : ''
  if (why === '') return { ok: false, reason: 'a verdict needs a reason' }
  return { ok: true, value: { verdict, reason: why } }
}
