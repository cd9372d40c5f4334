/**
 * Constrained-decoding benchmarks (`npm run bench`, or `npx tsx bench/grammar.ts`):
 *
 * 1. Valid-JSON rate on the tiny fixture, 20 runs per role schema (10 greedy
 *    prompts, 10 sampled seeds), with and without the grammar, same prompts
 *    and budgets as the roles (planner 700 tokens, verifier 200).
 * 2. Per-token cost of the grammar (accept + bitmask + apply, timed inside
 *    the logits processor) against the decode time per token, on the fixture,
 *    measured in the same runs.
 * 3. The same per-token cost on a synthetic 150k-entry byte-level vocabulary
 *    (bench/synthetic-vocab.ts), driving the real GrammarGuide with random
 *    logits: there is no model of that size to decode with here, so the
 *    share of decode time is stated as the decode speed up to which the
 *    grammar stays within 10 %.
 * 4. Compile time per role schema, on both vocabularies (fresh compiler, no cache).
 *
 * Runs in Node on onnxruntime-node's CPU provider (the browser worker runs
 * the same code on wasm/webgpu). Nothing here asserts: numbers only.
 */
import path from 'node:path'
import * as lib from '@huggingface/transformers'
import { ensureTinyFixture, FIXTURE_DIR } from '../signaling-server/tiny-fixture'
import { checkSchema } from '../src/inference/schema-check'
import { setLogLevel } from '../src/log'
import { planSchema } from '../src/roles/plan'
import { plannerMessages, verifierMessages } from '../src/roles/prompts'
import { verdictSchema } from '../src/roles/verdict'
import { loadXGrammarInNode } from '../tests/unit/xgrammar-node'
import { GrammarGuide, tokenMatcher } from '../workers/grammar-logits-processor'
import { buildVocabTable, canonicalJson, JsonGrammars, type XGrammar } from '../workers/json-grammar'
import { tokenizerJsonOf, TransformersGrammar } from '../workers/transformers-grammar'
import { runGeneration, type LoadedModel } from '../workers/transformers-run'
import { Prng } from '../scripts/tiny-model/prng'
import { syntheticByteLevelVocab } from './synthetic-vocab'

const TASKS = [
  'Explain how honey bees make honey', 'Compare rivers and lakes', 'Plan a small garden', 'Describe the water cycle', 'Write a report on solar panels',
  'How do owls hunt at night', 'Summarise the history of maps', 'What makes bread rise', 'Teach a child to count', 'Why is the sky blue',
]
const RUNS = [...TASKS.map((task) => ({ task, temperature: 0, seed: 0 })), ...TASKS.map((task, i) => ({ task, temperature: 0.7, seed: i + 1 }))]
const ROLES = [
  { name: 'plan', schema: planSchema(), budget: 700, messages: (t: string) => plannerMessages(t) },
  { name: 'verdict', schema: verdictSchema(), budget: 200, messages: (t: string) => verifierMessages(t, { title: 'Step', instructions: t }, 'Bees turn nectar into honey.') },
] as const
const hooks = { cancelled: () => false, onStopper: () => {}, emit: () => {} }

interface Tally {
  json: number
  valid: number
  tokens: number
  wallMs: number
  grammarMs: number
}

function isValid(schema: object, text: string): { json: boolean; valid: boolean } {
  try {
    return { json: true, valid: checkSchema(schema, JSON.parse(text)).length === 0 }
  } catch {
    return { json: false, valid: false }
  }
}

async function fixtureRuns(loaded: LoadedModel, grammar: TransformersGrammar, role: (typeof ROLES)[number], constrained: boolean): Promise<Tally> {
  const t: Tally = { json: 0, valid: 0, tokens: 0, wallMs: 0, grammarMs: 0 }
  for (const run of RUNS) {
    const guide = constrained ? await grammar.guide(role.schema) : undefined
    if (run.seed) lib.random.seed(run.seed)
    const t0 = performance.now()
    const out = await runGeneration(lib, loaded, { messages: role.messages(run.task), maxTokens: role.budget, temperature: run.temperature }, 2048, hooks, guide)
    t.wallMs += performance.now() - t0
    t.tokens += out.ids.length
    t.grammarMs += guide?.grammarMs ?? 0
    const v = isValid(role.schema, out.text)
    t.json += Number(v.json)
    t.valid += Number(v.valid)
  }
  return t
}

/** Drives a real GrammarGuide over `vocab` with seeded random logits until a stop token wins or `maxSteps`; returns ms per step. */
async function syntheticDecode(grammars: JsonGrammars, schema: object, seed: number, prefetch: boolean, maxSteps = 160): Promise<{ msPerToken: number; cpuMsPerToken: number; steps: number }> {
  const { vocabSize, stopIds } = grammars.info
  const guide = new GrammarGuide(tokenMatcher(await grammars.matcher(schema), vocabSize), { vocabSize, stopIds })
  const prng = new Prng(seed)
  const ids: bigint[] = [1n] // a one-token "prompt"
  const logits = new Float32Array(vocabSize)
  let cpuUs = 0
  for (let s = 0; s < maxSteps; s++) {
    for (let i = 0; i < vocabSize; i++) logits[i] = prng.normal()
    const c0 = process.cpuUsage()
    if (prefetch) await guide.prefetch(ids.slice(1).map(Number)) // what runGeneration does before each forward pass
    guide.step(ids, logits)
    const c = process.cpuUsage(c0)
    cpuUs += c.user + c.system
    let best = 0
    for (let i = 1; i < vocabSize; i++) if (logits[i]! > logits[best]!) best = i
    if (stopIds.includes(best)) break
    ids.push(BigInt(best))
  }
  return { msPerToken: guide.grammarMs / guide.steps, cpuMsPerToken: cpuUs / 1000 / guide.steps, steps: guide.steps }
}

/** Wall and CPU time of one compile: five agents share this machine's two cores, so wall time alone overstates the work. */
async function compileMs(xg: XGrammar, vocab: readonly string[], stopIds: readonly number[], schema: object): Promise<{ wall: number; cpu: number }> {
  const info = await xg.TokenizerInfo.createTokenizerInfo([...vocab], 'byte_level', false, vocab.length, [...stopIds])
  const compiler = await xg.GrammarCompiler.createGrammarCompiler(info, false)
  try {
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    const g = await compiler.compileJSONSchema(canonicalJson(schema), false, -1, [',', ':'], true)
    const c = process.cpuUsage(c0)
    const wall = performance.now() - t0
    g.dispose()
    return { wall, cpu: (c.user + c.system) / 1000 }
  } finally {
    compiler.dispose()
    info.dispose()
  }
}

const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)} %`
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`)

export async function benchGrammar(): Promise<string> {
  await ensureTinyFixture()
  const xg = await loadXGrammarInNode()
  lib.env.allowLocalModels = true
  lib.env.allowRemoteModels = false
  lib.env.localModelPath = path.dirname(FIXTURE_DIR)
  const tokenizer = await lib.AutoTokenizer.from_pretrained(path.basename(FIXTURE_DIR))
  const model = await lib.AutoModelForCausalLM.from_pretrained(path.basename(FIXTURE_DIR), { device: 'cpu', dtype: 'q4' })
  const loaded: LoadedModel = { model, tokenizer, eos: [2, 0] }
  const grammar = new TransformersGrammar('tiny-fixture', loaded, async () => xg)
  const lines: string[] = ['Constrained JSON decoding (xgrammar in the logits processor), tiny-fixture on onnxruntime-node CPU']
  try {
    lines.push(`  valid-JSON rate, ${RUNS.length} runs per schema (${TASKS.length} greedy prompts + ${TASKS.length} sampled seeds, T=0.7), role budgets:`)
    lines.push('  schema   budget  grammar  parses  schema-valid   tokens  ms/token (incl. prefill)  grammar ms/token  grammar / model time')
    for (const role of ROLES) {
      const free = await fixtureRuns(loaded, grammar, role, false)
      const con = await fixtureRuns(loaded, grammar, role, true)
      for (const [label, t] of [['off', free], ['on', con]] as const) {
        const decodeMsPerTok = t.wallMs / t.tokens
        const gMsPerTok = t.grammarMs / t.tokens
        lines.push(
          `  ${role.name.padEnd(8)} ${String(role.budget).padStart(6)}  ${label.padEnd(7)} ${`${t.json}/${RUNS.length}`.padStart(6)}  ${`${t.valid}/${RUNS.length}`.padStart(12)} ${String(t.tokens).padStart(8)} ${decodeMsPerTok.toFixed(2).padStart(25)} ${label === 'on' ? gMsPerTok.toFixed(3).padStart(17) : '                –'}  ${label === 'on' ? pct(t.grammarMs, t.wallMs - t.grammarMs) : '–'}`,
        )
      }
    }
    // Compile: the fixture vocabulary and a synthetic 150k one, fresh compilers (no cache).
    const fixtureTable = buildVocabTable(tokenizerJsonOf(tokenizer), 384)
    const synth = syntheticByteLevelVocab()
    const synthVocab = synth.vocab.map((s, i) => (synth.specialIds.includes(i) ? '' : s))
    lines.push('', '  compile time per role schema (compact whitespace, strict), fresh compiler:')
    lines.push('  schema                         fixture (384): wall / cpu   synthetic byte-level (150k): wall / cpu')
    const schemas: [string, object][] = [['plan (title ≤24, instr. ≤48)', planSchema()], ['verdict / try box (reason ≤60)', verdictSchema()]]
    for (const [name, schema] of schemas) {
      const a = await compileMs(xg, fixtureTable.vocab, [2, 0], schema)
      const b = await compileMs(xg, synthVocab, synth.stopIds, schema)
      lines.push(`  ${name.padEnd(30)} ${`${fmt(a.wall)} / ${fmt(a.cpu)}`.padStart(26)}   ${`${fmt(b.wall)} / ${fmt(b.cpu)}`.padStart(38)}`)
    }
    // Per-token cost on 150k: the real guide, random logits.
    const t0 = performance.now()
    const info = await xg.TokenizerInfo.createTokenizerInfo(synthVocab, 'byte_level', false, synthVocab.length, synth.stopIds)
    const setupMs = performance.now() - t0
    info.dispose()
    const grammars150k = await JsonGrammars.create(xg, 'synthetic-150k', { vocab: synthVocab, vocabType: 'byte_level', prependSpace: false, blanked: 3 }, synth.stopIds)
    try {
      lines.push('', `  per-token grammar cost on the synthetic 150k vocabulary (token-table setup ${fmt(setupMs)}), random logits, 3 seeds:`)
      for (const [name, schema] of schemas) {
        for (const prefetch of [true, false]) {
          const res = []
          for (const seed of [1, 2, 3]) res.push(await syntheticDecode(grammars150k, schema, seed, prefetch)) // one at a time: they share the cached matcher
          const steps = res.reduce((s, r) => s + r.steps, 0)
          const ms = res.reduce((s, r) => s + r.msPerToken * r.steps, 0) / steps
          const cpu = res.reduce((s, r) => s + r.cpuMsPerToken * r.steps, 0) / steps
          const how = prefetch ? 'prefetched mask (engine path)' : 'synchronous read (fallback)  '
          lines.push(`  ${name.padEnd(30)} ${how} ${ms.toFixed(2).padStart(6)} ms/token wall, ${cpu.toFixed(2).padStart(5)} ms cpu, ${steps} steps: ≤ 10 % of decode time up to ${(100 / cpu).toFixed(0)} tok/s (cpu)`)
        }
      }
    } finally {
      grammars150k.dispose()
    }
  } finally {
    grammar.dispose()
    await model.dispose()
  }
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  setLogLevel('warn')
  benchGrammar().then(
    (out) => process.stdout.write(`${out}\n`),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`)
      process.exit(1)
    },
  )
}
