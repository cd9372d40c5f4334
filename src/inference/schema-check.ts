/**
 * A small JSON-schema checker for the subset our prompts use (object/properties/
 * required/additionalProperties, array items/prefixItems/minItems/maxItems/
 * uniqueItems, string
 * minLength/maxLength/pattern, enum/const, integer/number minimum/maximum,
 * boolean, null, anyOf/oneOf). Used by tests to prove the simulated engine
 * honours schemas, and by the node panel to show whether a reply conforms.
 * Unknown keywords are ignored, as JSON Schema prescribes.
 */
export type JsonSchema = { readonly [key: string]: unknown }

function typeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value)
  return actual === type || (type === 'number' && actual === 'integer')
}

export function asSchema(value: unknown): JsonSchema | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonSchema) : null
}

function num(schema: JsonSchema, key: string): number | undefined {
  const v = schema[key]
  return typeof v === 'number' ? v : undefined
}

/** Returns human-readable violations (empty = conforms), each prefixed with a JSON path. */
export function checkSchema(schema: unknown, value: unknown, path = '$'): string[] {
  const s = asSchema(schema)
  if (!s) return [] // `true`/absent schema accepts anything
  const errors: string[] = []
  const types = Array.isArray(s.type) ? (s.type as unknown[]).map(String) : typeof s.type === 'string' ? [s.type] : []
  if (types.length > 0 && !types.some((t) => matchesType(value, t))) {
    return [`${path}: expected ${types.join('|')}, got ${typeOf(value)}`]
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`)
  }
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(value)) errors.push(`${path}: must equal ${JSON.stringify(s.const)}`)
  if (typeof value === 'string') {
    const min = num(s, 'minLength')
    const max = num(s, 'maxLength')
    const len = [...value].length
    if (min !== undefined && len < min) errors.push(`${path}: shorter than ${min}`)
    if (max !== undefined && len > max) errors.push(`${path}: longer than ${max}`)
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) errors.push(`${path}: does not match ${s.pattern}`)
  }
  if (typeof value === 'number') {
    const min = num(s, 'minimum')
    const max = num(s, 'maximum')
    const xmin = num(s, 'exclusiveMinimum')
    const xmax = num(s, 'exclusiveMaximum')
    if (min !== undefined && value < min) errors.push(`${path}: below minimum ${min}`)
    if (max !== undefined && value > max) errors.push(`${path}: above maximum ${max}`)
    if (xmin !== undefined && value <= xmin) errors.push(`${path}: not above ${xmin}`)
    if (xmax !== undefined && value >= xmax) errors.push(`${path}: not below ${xmax}`)
  }
  if (Array.isArray(value)) {
    const min = num(s, 'minItems')
    const max = num(s, 'maxItems')
    if (min !== undefined && value.length < min) errors.push(`${path}: fewer than ${min} items`)
    if (max !== undefined && value.length > max) errors.push(`${path}: more than ${max} items`)
    // Draft 2020-12: prefixItems validate by position, `items` covers the rest (false = no more allowed).
    const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as unknown[]) : []
    value.forEach((item, i) => {
      if (i < prefix.length) errors.push(...checkSchema(prefix[i], item, `${path}[${i}]`))
      else if (s.items === false) errors.push(`${path}[${i}]: no items allowed beyond the first ${prefix.length}`)
      else if (s.items !== undefined) errors.push(...checkSchema(s.items, item, `${path}[${i}]`))
    })
    if (s.uniqueItems === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) errors.push(`${path}: items are not unique`)
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>
    const props = asSchema(s.properties) ?? {}
    for (const key of Array.isArray(s.required) ? s.required.map(String) : []) {
      if (!(key in obj)) errors.push(`${path}: missing required "${key}"`)
    }
    for (const [key, v] of Object.entries(obj)) {
      if (key in props) errors.push(...checkSchema(props[key], v, `${path}.${key}`))
      else if (s.additionalProperties === false) errors.push(`${path}: unexpected property "${key}"`)
      else if (asSchema(s.additionalProperties)) errors.push(...checkSchema(s.additionalProperties, v, `${path}.${key}`))
    }
  }
  if (Array.isArray(s.anyOf) && !s.anyOf.some((sub) => checkSchema(sub, value, path).length === 0)) {
    errors.push(`${path}: matches none of anyOf`)
  }
  if (Array.isArray(s.oneOf) && s.oneOf.filter((sub) => checkSchema(sub, value, path).length === 0).length !== 1) {
    errors.push(`${path}: must match exactly one of oneOf`)
  }
  return errors
}
