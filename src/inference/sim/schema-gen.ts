/**
 * Builds a value that satisfies a JSON schema, for the SIMULATED engine.
 * Covers the subset `schema-check.ts` checks. Two touches make simulated plans
 * usable end to end rather than merely valid: string properties named `id`
 * get sequential ids (s1, s2, …), and arrays of strings whose property name
 * mentions "depend" only reference ids generated earlier, so a simulated plan
 * is always an acyclic DAG the scheduler can run.
 */
import type { Random } from '../../clock'
import { asSchema, type JsonSchema } from '../schema-check'

interface GenContext {
  readonly random: Random
  /** Words to build strings from (key words of the prompt first). */
  readonly words: readonly string[]
  readonly ids: string[]
  readonly opts: GenOptions
}

/** Shapes of the output beyond what the schema fixes (the simulated engine's workload profile). */
export interface GenOptions {
  /** Multiplies every free string's length (1 = 12–48 characters), within the schema's bounds. */
  readonly stringScale?: number
  /** Exact item counts for arrays under these property names (clamped to the schema), e.g. { steps: 6 }. */
  readonly arrayCounts?: Readonly<Record<string, number>>
  /** Per property name: the chance of its enum's first value (else uniform), e.g. { verdict: 0.9 } for mostly "pass". */
  readonly firstEnumOdds?: Readonly<Record<string, number>>
}

const MAX_DEPTH = 8

function int(random: Random, min: number, max: number): number {
  return min + Math.floor(random.next() * (max - min + 1))
}

function pick<T>(random: Random, xs: readonly T[]): T | undefined {
  return xs[Math.floor(random.next() * xs.length)]
}

function num(s: JsonSchema, key: string): number | undefined {
  const v = s[key]
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

function firstType(s: JsonSchema): string | undefined {
  if (typeof s.type === 'string') return s.type
  if (Array.isArray(s.type)) return (s.type as unknown[]).map(String).find((t) => t !== 'null') ?? 'null'
  if (asSchema(s.properties)) return 'object'
  if (s.items !== undefined || s.prefixItems !== undefined) return 'array'
  return undefined
}

function genString(s: JsonSchema, ctx: GenContext, key: string | undefined): string {
  const min = num(s, 'minLength') ?? 0
  const max = num(s, 'maxLength') ?? Math.max(min, 60)
  if (key === 'id') {
    const id = `s${ctx.ids.length + 1}`
    ctx.ids.push(id)
    if (id.length >= min && id.length <= max) return id
  }
  const target = Math.min(max, Math.max(min, Math.round(int(ctx.random, 12, 48) * (ctx.opts.stringScale ?? 1))))
  let out = ''
  while ([...out].length < target) out += (out ? ' ' : '') + (pick(ctx.random, ctx.words) ?? 'simulated')
  out = [...out].slice(0, target).join('').trimEnd()
  while ([...out].length < min) out += 'x'
  return out
}

function genNumber(s: JsonSchema, ctx: GenContext, integer: boolean): number {
  const xmin = num(s, 'exclusiveMinimum')
  const xmax = num(s, 'exclusiveMaximum')
  let lo = num(s, 'minimum') ?? (xmin !== undefined ? xmin + (integer ? 1 : 1e-6) : 0)
  let hi = num(s, 'maximum') ?? (xmax !== undefined ? xmax - (integer ? 1 : 1e-6) : lo + 100)
  if (hi < lo) hi = lo
  if (integer) {
    lo = Math.ceil(lo)
    hi = Math.floor(hi)
    return int(ctx.random, lo, Math.max(lo, hi))
  }
  return Math.round((lo + ctx.random.next() * (hi - lo)) * 1000) / 1000
}

function genArray(s: JsonSchema, ctx: GenContext, key: string | undefined, depth: number): unknown[] {
  const min = num(s, 'minItems') ?? 0
  const max = num(s, 'maxItems') ?? min + 3
  const items = asSchema(s.items) ?? {}
  if (key && /depend/i.test(key) && firstType(items) === 'string') {
    // Only ids that already exist: earlier subtasks, so the plan stays acyclic.
    const earlier = ctx.ids.slice(0, -1)
    const count = Math.min(max, Math.max(min, int(ctx.random, 0, Math.min(2, earlier.length))))
    const chosen = [...new Set(Array.from({ length: count }, () => pick(ctx.random, earlier)))].filter((x): x is string => !!x)
    while (chosen.length < min) chosen.push(genString(items, ctx, undefined))
    return chosen
  }
  const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as unknown[]) : []
  const cap = s.items === false ? Math.min(max, prefix.length) : max
  const forced = key !== undefined ? ctx.opts.arrayCounts?.[key] : undefined
  const lo = Math.max(min, Math.min(1, cap))
  const hi = Math.max(min, Math.min(cap, min + 3))
  const r = ctx.random.next()
  // Dependency lists: about half the steps stand alone and most others need one step, like small models' plans.
  const count =
    forced !== undefined
      ? Math.max(min, Math.min(cap, forced))
      : key && /depend/i.test(key)
        ? Math.max(min, Math.min(cap, r < 0.5 ? 0 : r < 0.85 ? 1 : 2))
        : Math.min(hi, lo + Math.floor(r * (hi - lo + 1)))
  const out: unknown[] = []
  for (let i = 0; i < count; i++) {
    const sub = asSchema(prefix[i]) ?? items
    // Enumerated items (e.g. "depends on step 1..i-1") are drawn without repeats while the enum lasts.
    const left = Array.isArray(sub.enum) ? sub.enum.filter((e) => !out.some((o) => JSON.stringify(o) === JSON.stringify(e))) : []
    out.push(left.length > 0 ? pick(ctx.random, left) : gen(sub, ctx, undefined, depth + 1))
  }
  return out
}

function genObject(s: JsonSchema, ctx: GenContext, depth: number): Record<string, unknown> {
  const props = asSchema(s.properties) ?? {}
  const required = new Set(Array.isArray(s.required) ? s.required.map(String) : [])
  const out: Record<string, unknown> = {}
  // Property order follows the schema so `id` comes before `dependsOn`.
  for (const [key, sub] of Object.entries(props)) {
    if (required.has(key) || ctx.random.next() < 0.7) out[key] = gen(sub, ctx, key, depth + 1)
  }
  for (const key of required) if (!(key in out)) out[key] = 'simulated'
  return out
}

function gen(schema: unknown, ctx: GenContext, key: string | undefined, depth: number): unknown {
  const s = asSchema(schema) ?? {}
  if ('const' in s) return s.const
  if (Array.isArray(s.enum) && s.enum.length > 0) {
    const odds = key !== undefined ? ctx.opts.firstEnumOdds?.[key] : undefined
    if (odds === undefined) return pick(ctx.random, s.enum)
    return ctx.random.next() < odds ? s.enum[0] : pick(ctx.random, s.enum.slice(1).length > 0 ? s.enum.slice(1) : s.enum)
  }
  const branches = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : null
  // The first branch of a oneOf is the likeliest to be exclusive of the rest.
  if (branches && branches.length > 0) return gen(Array.isArray(s.oneOf) ? branches[0] : pick(ctx.random, branches), ctx, key, depth)
  if (depth > MAX_DEPTH) return null
  switch (firstType(s)) {
    case 'object':
      return genObject(s, ctx, depth)
    case 'array':
      return genArray(s, ctx, key, depth)
    case 'integer':
      return genNumber(s, ctx, true)
    case 'number':
      return genNumber(s, ctx, false)
    case 'boolean':
      return ctx.random.next() < 0.5
    case 'null':
      return null
    default:
      return genString(s, ctx, key)
  }
}

export function generateFromSchema(schema: object, random: Random, words: readonly string[], opts: GenOptions = {}): unknown {
  return gen(schema, { random, words: words.length > 0 ? words : ['simulated'], ids: [], opts }, undefined, 0)
}
