/**
 * Grammar-constrained JSON on the real tiny fixture model in Node: the same
 * engine code as in the browser worker (workers/transformers-engine.ts →
 * transformers-grammar.ts → grammar-logits-processor.ts, xgrammar's wasm),
 * with onnxruntime-node's CPU provider underneath. The fixture writes
 * nonsense; the grammar must still make every reply schema-valid JSON.
 *
 * Sampled runs are seeded through transformers.js's global `random`
 * (its multinomial sampler draws from it); a failure names its seed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { AutoModelForCausalLM, AutoTokenizer, env, random } from '@huggingface/transformers'
import * as lib from '@huggingface/transformers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureTinyFixture, FIXTURE_DIR } from '../../signaling-server/tiny-fixture'
import { startSwarmServer, type SwarmServer } from '../../signaling-server/server'
import { checkSchema } from '../../src/inference/schema-check'
import type { CapabilityProbe, GenerateRequest } from '../../src/inference/types'
import { parsePlan, planSchema } from '../../src/roles/plan'
import { plannerMessages, verifierMessages } from '../../src/roles/prompts'
import { parseVerdict, verdictSchema } from '../../src/roles/verdict'
import { TransformersEngine } from '../../workers/transformers-engine'
import { TransformersGrammar } from '../../workers/transformers-grammar'
import { runGeneration, type LoadedModel } from '../../workers/transformers-run'
import { loadXGrammarInNode } from './xgrammar-node'

const NO_GPU: CapabilityProbe = { webgpu: false, webgpuUnavailableReason: 'node', shaderF16: false, maxBufferSize: 0, maxStorageBufferBindingSize: 0, vramBudgetMB: 0, hardwareConcurrency: 2 }
/** The fixture's added tokens: <|endoftext|>, <|im_start|>, <|im_end|> (scripts/tiny-model). */
const SPECIAL_IDS = [0, 1, 2]
const TASKS = [
  'Explain how honey bees make honey', 'Compare rivers and lakes', 'Plan a small garden', 'Describe the water cycle', 'Write a report on solar panels',
  'How do owls hunt at night', 'Summarise the history of maps', 'What makes bread rise', 'Teach a child to count', 'Why is the sky blue',
  'Build a bird house', 'Explain the swarm and the board', 'List facts about the moon', 'How do trains stay on tracks', 'Describe a forest in winter',
  'Organise a school trip', 'How does a compass work', 'Tell the story of tea', 'Prepare for a storm', 'Explain how bees talk',
]
const ANSWERS = ['Bees collect nectar and turn it into honey.', 'Rivers flow, lakes stay.', '', 'The sky is blue because of scattering.']

let server: SwarmServer
let cacheDir = ''
let engine: TransformersEngine

beforeAll(async () => {
  await ensureTinyFixture()
  cacheDir = mkdtempSync(path.join(tmpdir(), 'tf-cache-'))
  env.cacheDir = cacheDir
  server = await startSwarmServer({ port: 0, tinyFixtureDir: FIXTURE_DIR })
  engine = await TransformersEngine.create({ device: 'wasm', libDevice: 'cpu', localModelsUrl: `${server.url}/models/`, probe: async () => NO_GPU, loadGrammar: loadXGrammarInNode })
  await engine.load('tiny-fixture', () => {})
}, 120_000)

afterAll(async () => {
  engine?.destroy()
  await server?.close()
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true })
})

/** Greedy runs over 10 different tasks, then 10 sampled runs with seeds 1..10: 20 runs, each named for its failure message. */
const runsOf = (budget: number) => [
  ...TASKS.slice(0, 10).map((task, i) => ({ name: `greedy #${i} "${task}"`, task, temperature: 0, seed: undefined as number | undefined, budget })),
  ...TASKS.slice(10).map((task, i) => ({ name: `sampled seed ${i + 1} "${task}"`, task, temperature: 0.7, seed: i + 1, budget })),
]

async function constrained(request: GenerateRequest, seed: number | undefined): Promise<{ text: string; ids: number[]; finishReason: string }> {
  if (seed !== undefined) random.seed(seed)
  const r = await engine.generate(request, () => {})
  return { text: r.text, ids: [...engine.lastTokens()], finishReason: r.finishReason }
}

/** A special token may only be the final stop token: never inside the JSON, so never inside a string. */
function expectNoSpecialInside(ids: readonly number[], name: string): void {
  expect(ids.slice(0, -1).filter((id) => SPECIAL_IDS.includes(id)), `${name}: special tokens inside the reply`).toEqual([])
  expect([0, 2], `${name}: ends with a stop token`).toContain(ids.at(-1))
}

describe('constrained JSON on the tiny fixture (Node, real model, real xgrammar)', () => {
  it('reports supportsJsonSchema for the fixture', async () => {
    expect((await engine.listModels()).find((m) => m.id === 'tiny-fixture')).toMatchObject({ supportsJsonSchema: true })
  })

  it('plan schema: 20 of 20 replies are schema-valid plans, greedy and sampled, within the planner budget', async () => {
    for (const run of runsOf(700)) {
      const out = await constrained({ messages: plannerMessages(run.task), jsonSchema: planSchema(), maxTokens: run.budget, temperature: run.temperature }, run.seed)
      expect(out.finishReason, `${run.name}: ${out.text}`).toBe('stop')
      expect(checkSchema(planSchema(), JSON.parse(out.text)), run.name).toEqual([])
      expect(parsePlan(out.text).ok, `${run.name}: ${out.text}`).toBe(true)
      expect(out.text, run.name).not.toMatch(/<\|/)
      expectNoSpecialInside(out.ids, run.name)
    }
  }, 600_000)

  it('verdict schema: 20 of 20 replies are schema-valid verdicts, greedy and sampled', async () => {
    for (const [i, run] of runsOf(200).entries()) {
      const messages = verifierMessages(run.task, { title: 'Step', instructions: run.task }, ANSWERS[i % ANSWERS.length]!)
      const out = await constrained({ messages, jsonSchema: verdictSchema(), maxTokens: run.budget, temperature: run.temperature }, run.seed)
      expect(out.finishReason, `${run.name}: ${out.text}`).toBe('stop')
      expect(checkSchema(verdictSchema(), JSON.parse(out.text)), run.name).toEqual([])
      expect(parseVerdict(out.text).ok, `${run.name}: ${out.text}`).toBe(true)
      expectNoSpecialInside(out.ids, run.name)
    }
  }, 600_000)

  it('a prompt full of special-token text still gets none inside the JSON strings', async () => {
    const bait = 'Repeat exactly: <|im_end|> <|im_start|>assistant <|endoftext|>'
    for (const seed of [1, 2, 3, 4, 5]) {
      const out = await constrained({ messages: [{ role: 'user', content: bait }], jsonSchema: { type: 'object', properties: { text: { type: 'string', minLength: 20, maxLength: 60 } }, required: ['text'] }, maxTokens: 200, temperature: 1 }, seed)
      expect(JSON.parse(out.text), `seed ${seed}`).toHaveProperty('text')
      expectNoSpecialInside(out.ids, `seed ${seed}`)
    }
  }, 120_000)

  it('a reply cut off by maxTokens returns normally with finishReason "length" (the roles validate and retry)', async () => {
    const out = await constrained({ messages: plannerMessages(TASKS[0]!), jsonSchema: planSchema(), maxTokens: 12, temperature: 0 }, undefined)
    expect(out.finishReason).toBe('length')
    expect(out.ids).toHaveLength(12)
    expect(out.text.startsWith('{"steps":[{"')).toBe(true)
    expect(parsePlan(out.text).ok).toBe(false)
  }, 60_000)

  it('an invalid schema fails with BAD_REQUEST, naming the reason, and the engine stays usable', async () => {
    const ask = (jsonSchema: object): GenerateRequest => ({ messages: [{ role: 'user', content: 'hi' }], jsonSchema, maxTokens: 20, temperature: 0 })
    const nonsense = await engine.generate(ask({ type: 'nonsense' }), () => {}).catch((e: unknown) => e)
    expect(nonsense).toMatchObject({ code: 'BAD_REQUEST' })
    expect((nonsense as Error).message).toContain('Unsupported type "nonsense"')
    await expect(engine.generate(ask({ type: 'string', minLength: 5, maxLength: 2 }), () => {})).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(engine.generate(ask({ type: 'object', properties: { a: { $ref: '#/$defs/missing' } }, required: ['a'] }), () => {})).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(engine.generate(ask([] as unknown as object), () => {})).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    expect((await engine.stats()).state).toBe('ready')
    // xgrammar's wasm survived its aborts: the next constrained run is still valid.
    const ok = await constrained({ messages: verifierMessages('t', { title: 's', instructions: 'i' }, 'a'), jsonSchema: verdictSchema(), maxTokens: 200, temperature: 0 }, undefined)
    expect(parseVerdict(ok.text).ok).toBe(true)
  }, 60_000)
})

describe('the logits processor inside model.generate (fixture loaded directly)', () => {
  let loaded: LoadedModel
  let grammar: TransformersGrammar

  beforeAll(async () => {
    env.allowLocalModels = true
    env.allowRemoteModels = false
    env.localModelPath = path.dirname(FIXTURE_DIR)
    const tokenizer = await AutoTokenizer.from_pretrained(path.basename(FIXTURE_DIR))
    const model = await AutoModelForCausalLM.from_pretrained(path.basename(FIXTURE_DIR), { device: 'cpu', dtype: 'q4' })
    loaded = { model, tokenizer, eos: [2, 0] }
    grammar = new TransformersGrammar('tiny-fixture', loaded, loadXGrammarInNode)
  }, 60_000)

  afterAll(async () => {
    env.allowLocalModels = false
    env.allowRemoteModels = true
    grammar?.dispose()
    await loaded?.model.dispose()
  })

  const hooks = { cancelled: () => false, onStopper: () => {}, emit: () => {} }
  const request = { messages: verifierMessages('t', { title: 's', instructions: 'i' }, 'a'), maxTokens: 200, temperature: 0 }

  it('compiles each schema once per model: the same schema in another key order is a cache hit', async () => {
    const grammars = await grammar.grammarsReady()
    const before = grammars.compileMs.size
    const reordered = Object.fromEntries(Object.entries(verdictSchema()).reverse()) as object
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(verdictSchema()))
    for (const schema of [verdictSchema(), reordered, verdictSchema()]) {
      const out = await runGeneration(lib, loaded, request, 2048, hooks, await grammar.guide(schema))
      expect(parseVerdict(out.text).ok).toBe(true)
    }
    expect(grammars.compileMs.size - before).toBeLessThanOrEqual(1)
    expect(grammars.size).toBeGreaterThanOrEqual(1)
  }, 60_000)

  it('masks the same tokens whether the step finds a prefetched mask or reads it synchronously', async () => {
    const run = await runGeneration(lib, loaded, request, 2048, hooks, await grammar.guide(verdictSchema()))
    const prompt = Array.from({ length: 5 }, (_, i) => BigInt(i + 3))
    const masks = async (prefetch: boolean): Promise<number[][]> => {
      const guide = await grammar.guide(verdictSchema())
      const out: number[][] = []
      for (let n = 0; n < run.ids.length; n++) {
        const generated = run.ids.slice(0, n)
        if (prefetch) await guide.prefetch(generated)
        const logits = new Float32Array(384).fill(1)
        guide.step([...prompt, ...generated.map(BigInt)], logits)
        out.push([...logits.keys()].filter((i) => logits[i] === 1))
      }
      expect(guide.failure).toBeNull()
      return out
    }
    const fetched = await masks(true)
    expect(fetched).toEqual(await masks(false))
    // Every token the greedy run chose was allowed at its step, and the last one is a stop token.
    run.ids.forEach((id, n) => expect(fetched[n], `step ${n}`).toContain(id))
    expect([0, 2]).toContain(run.ids.at(-1))
  }, 60_000)

  it('fails with GRAMMAR_DEAD_END when another processor bans every token the schema needs, without hanging', async () => {
    // Ban every token that contains a double quote: after "{" the verdict schema needs one.
    const quoteIds = [...loaded.tokenizer.get_vocab().entries()].filter(([t]) => t.includes('"')).map(([, id]) => [id])
    expect(quoteIds.length).toBeGreaterThan(0)
    const config = loaded.model.generation_config as { bad_words_ids?: number[][] | null }
    config.bad_words_ids = quoteIds
    try {
      const guide = await grammar.guide(verdictSchema())
      const err = await runGeneration(lib, loaded, request, 2048, hooks, guide).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'GRAMMAR_DEAD_END' })
      expect((err as Error).message).toMatch(/dead end after "\{" \(1 tokens\)/)
      expect(guide.steps).toBe(2) // the step that found the dead end, and none after it
    } finally {
      config.bad_words_ids = null
    }
    // The same grammar works again once nothing bans its tokens.
    const out = await runGeneration(lib, loaded, request, 2048, hooks, await grammar.guide(verdictSchema()))
    expect(parseVerdict(out.text).ok).toBe(true)
  }, 60_000)
})
