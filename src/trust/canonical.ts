/**
 * Canonical JSON: the one encoder that signer and verifier share.
 *   - object keys sorted by UTF-16 code units (JS default sort), no whitespace;
 *   - numbers must be safe integers (no floats, no -0: one spelling per value,
 *     in every language, as Matrix requires);
 *   - strings as JSON.stringify writes them (well-formed escapes);
 *   - only plain objects, arrays, strings, safe integers, booleans and null;
 *   - nesting at most MAX_DEPTH.
 * A text is canonical iff `canonicalJson(JSON.parse(text)) === text`; the
 * verifier checks exactly that, which also rejects duplicate keys, escapes
 * such as \u0041 and every other alternative spelling.
 */
export type CanonicalValue = null | boolean | number | string | readonly CanonicalValue[] | { readonly [key: string]: CanonicalValue }

export const MAX_DEPTH = 16

export class NonCanonicalValueError extends Error {
  override readonly name = 'NonCanonicalValueError'
}

export function canonicalJson(value: unknown): string {
  return encode(value, 0)
}

function encode(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new NonCanonicalValueError(`nested deeper than ${MAX_DEPTH}`)
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'string':
      return JSON.stringify(value)
    case 'number':
      if (!Number.isSafeInteger(value) || Object.is(value, -0)) throw new NonCanonicalValueError(`${value} is not a safe integer`)
      return String(value)
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => encode(v, depth + 1)).join(',')}]`
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) throw new NonCanonicalValueError('only plain objects can be encoded')
      const record = value as Record<string, unknown>
      const keys = Object.keys(record).sort()
      return `{${keys.map((k) => `${JSON.stringify(k)}:${encode(record[k], depth + 1)}`).join(',')}}`
    }
    default:
      throw new NonCanonicalValueError(`a ${typeof value} cannot be encoded`)
  }
}

/** Parses `text` and returns the value only if `text` is its canonical spelling. */
export function parseCanonical(text: string): { ok: true; value: unknown } | { ok: false; reason: 'not-json' | 'non-canonical' } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, reason: 'not-json' }
  }
  try {
    return canonicalJson(value) === text ? { ok: true, value } : { ok: false, reason: 'non-canonical' }
  } catch {
    return { ok: false, reason: 'non-canonical' }
  }
}
