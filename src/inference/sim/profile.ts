/**
 * The SIMULATED engine's workload profile: how long a reply of each swarm
 * role is, and how many steps a simulated plan has. Benchmarks measure the
 * scheduler against a critical path shaped like a small real model's, so the
 * defaults are what small instruct models (SmolLM2-360M, Qwen2.5-0.5B) write
 * for our prompts:
 *   plan        ~200 tokens: 4–6 steps of a short title and a one-sentence
 *               instruction, ~35 tokens each in JSON;
 *   research    ~250 tokens: the "short paragraph" the researcher prompt asks
 *               for comes out as 150–300 tokens;
 *   verify      ~40 tokens: {"verdict":…,"reason":"one sentence"};
 *   synthesize  ~400 tokens: the final answer merges every step.
 * Each reply is within ±10 % of its length (seeded per request), and never
 * longer than the request's maxTokens; JSON replies stay schema-valid.
 *
 * The role is read from the request itself, so no protocol field is needed:
 * a schema with `steps` is a plan, one with `verdict` a verdict, and free
 * text names its role in the system prompt ("You are a researcher node of
 * MindOS Swarm", src/roles/prompts.ts). Anything else (the try box) gets a
 * few sentences, or schema-valid JSON, of no particular length.
 */
import type { ParseResult } from '../../mesh/protocol'
import type { GenerateRequest } from '../types'

export const SIM_ROLES = ['plan', 'research', 'verify', 'synthesize'] as const
export type SimRole = (typeof SIM_ROLES)[number]
export type SimLengths = Readonly<Record<SimRole, number>>

export const DEFAULT_SIM_LENGTHS: SimLengths = { plan: 200, research: 250, verify: 40, synthesize: 400 }
export const MAX_SIM_LENGTH = 4_000
export const MAX_SIM_PLAN_STEPS = 8
export const MIN_SIM_PLAN_STEPS = 2

const ROLE_IN_PROMPT: Readonly<Record<string, SimRole>> = { planner: 'plan', researcher: 'research', verifier: 'verify', synthesizer: 'synthesize' }
const ROLE_TAG = /\bYou are an? (planner|researcher|verifier|synthesizer) node of MindOS Swarm\b/

/** The swarm role a request is for, or null for anything else (the try box), which keeps short free replies. */
export function simRoleOf(request: Pick<GenerateRequest, 'messages' | 'jsonSchema'>): SimRole | null {
  const props = (request.jsonSchema as { properties?: Record<string, unknown> } | undefined)?.properties
  if (props && typeof props === 'object') {
    if ('steps' in props) return 'plan'
    if ('verdict' in props) return 'verify'
  }
  for (const m of request.messages) {
    if (m.role !== 'system') continue
    const tag = ROLE_TAG.exec(m.content)
    if (tag) return ROLE_IN_PROMPT[tag[1]!]!
  }
  return null
}

/**
 * `plan:200,research:250,verify:40,synthesize:400` (any subset, any order) →
 * the lengths it names, or why it is not valid (for the page's problem list).
 */
export function parseSimLengths(raw: string): ParseResult<Partial<SimLengths>> {
  const out: Partial<Record<SimRole, number>> = {}
  for (const part of raw.split(',')) {
    const m = /^\s*([a-z]+)\s*:\s*(\d+)\s*$/.exec(part)
    if (!m) return { ok: false, reason: `"${part}" is not role:tokens` }
    const role = m[1] as SimRole
    if (!(SIM_ROLES as readonly string[]).includes(role)) return { ok: false, reason: `unknown role "${m[1]}" (use ${SIM_ROLES.join(', ')})` }
    const n = Number(m[2])
    if (n < 1 || n > MAX_SIM_LENGTH) return { ok: false, reason: `${role}:${m[2]} must be 1–${MAX_SIM_LENGTH} tokens` }
    if (role in out) return { ok: false, reason: `${role} is given twice` }
    out[role] = n
  }
  return { ok: true, value: out }
}

export function isSimPlanSteps(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_SIM_PLAN_STEPS && n <= MAX_SIM_PLAN_STEPS
}

/** Checked lengths over the defaults; invalid entries (from an untrusted caller) are ignored. */
export function simLengths(partial: Partial<Record<string, unknown>> | undefined): SimLengths {
  const out: Record<SimRole, number> = { ...DEFAULT_SIM_LENGTHS }
  for (const role of SIM_ROLES) {
    const v = partial?.[role]
    if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_SIM_LENGTH) out[role] = v
  }
  return out
}
