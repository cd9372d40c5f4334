import { describe, expect, it } from 'vitest'
import { checkSchema } from '../../src/inference/schema-check'
import { parseVerdict, verdictSchema } from '../../src/roles/verdict'

const reasonOf = (r: { ok: boolean; reason?: string }): string => (r.ok ? 'ok' : r.reason!)

describe('parseVerdict', () => {
  it('accepts pass and fail with a reason', () => {
    expect(parseVerdict('{"verdict":"pass","reason":"Correct and complete."}')).toEqual({ ok: true, value: { verdict: 'pass', reason: 'Correct and complete.' } })
    expect(parseVerdict('{"verdict":"fail","reason":"Off-topic."}')).toEqual({ ok: true, value: { verdict: 'fail', reason: 'Off-topic.' } })
  })

  it('finds the JSON inside prose and code fences', () => {
    expect(parseVerdict('My judgement: {"verdict": "fail", "reason": "It is empty."} Hope that helps.')).toEqual({ ok: true, value: { verdict: 'fail', reason: 'It is empty.' } })
    expect(parseVerdict('```json\n{\n  "verdict": "pass",\n  "reason": "Fine."\n}\n```')).toEqual({ ok: true, value: { verdict: 'pass', reason: 'Fine.' } })
  })

  it('trims the reason and caps it at 300 characters', () => {
    const r = parseVerdict(JSON.stringify({ verdict: 'pass', reason: `  ${'r'.repeat(500)}  ` }))
    expect(r.ok && r.value.reason).toBe('r'.repeat(300))
    expect(parseVerdict('{"verdict":"pass","reason":"  ok  "}')).toEqual({ ok: true, value: { verdict: 'pass', reason: 'ok' } })
  })

  it('rejects a verdict outside the enum', () => {
    for (const v of ['PASS', 'Fail', 'maybe', '', true, 1, null]) {
      expect(reasonOf(parseVerdict(JSON.stringify({ verdict: v, reason: 'whatever' }))), String(v)).toBe('"verdict" must be "pass" or "fail"')
    }
    expect(reasonOf(parseVerdict('{"reason":"no verdict at all"}'))).toBe('"verdict" must be "pass" or "fail"')
  })

  it('rejects a missing, empty, blank or non-string reason', () => {
    for (const reason of [undefined, '', '   \n', 42, ['a reason'], { text: 'x' }]) {
      expect(reasonOf(parseVerdict(JSON.stringify({ verdict: 'fail', reason }))), JSON.stringify(reason)).toBe('a verdict needs a reason')
    }
  })

  it('rejects invalid JSON and JSON that is not an object', () => {
    expect(reasonOf(parseVerdict('pass'))).toBe('the reply is not valid JSON')
    expect(reasonOf(parseVerdict(''))).toBe('the reply is not valid JSON')
    expect(reasonOf(parseVerdict('{"verdict": "pass", "reason": "unterminated}'))).toBe('the reply is not valid JSON')
    expect(reasonOf(parseVerdict('{verdict: pass}'))).toBe('the reply is not valid JSON')
    expect(reasonOf(parseVerdict('null'))).toBe('the reply is not a JSON object')
    expect(reasonOf(parseVerdict('"pass"'))).toBe('the reply is not a JSON object')
    expect(reasonOf(parseVerdict('42'))).toBe('the reply is not a JSON object')
  })
})

describe('verdictSchema', () => {
  it('accepts what parseVerdict accepts, and rejects a bad enum, a missing reason and extra fields', () => {
    expect(checkSchema(verdictSchema(), { verdict: 'pass', reason: 'Looks right.' })).toEqual([])
    expect(checkSchema(verdictSchema(), { verdict: 'maybe', reason: 'Looks right.' }).length).toBeGreaterThan(0)
    expect(checkSchema(verdictSchema(), { verdict: 'fail' }).length).toBeGreaterThan(0)
    expect(checkSchema(verdictSchema(), { verdict: 'fail', reason: 'Wrong.', score: 3 }).length).toBeGreaterThan(0)
  })
})
