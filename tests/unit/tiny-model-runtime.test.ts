/**
 * The real proof for the tiny fixture model: the built folder runs in ONNX
 * Runtime — onnxruntime-node (CPU) and onnxruntime-web's WASM backend, the one
 * browsers use — and in transformers.js itself, and it computes what the
 * independent reference (src/inference/tiny-reference.ts) computes.
 * One file so the ~15 s build happens once.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import * as ortNode from 'onnxruntime-node'
import * as ortWeb from 'onnxruntime-web'
import { AutoModelForCausalLM, AutoTokenizer, env, pipeline, type PreTrainedTokenizer } from '@huggingface/transformers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTinyModel } from '../../scripts/tiny-model/build'
import { readOnnxInitializers, referenceLogits, type RawTensor, type TinyModelConfig } from '../../src/inference/tiny-reference'
import { emptyPast, greedyCached, greedyRecompute, maxAbsDiff, step, type Ort, type Session, type Shape } from './tiny-model-harness'

// Observed: ≤ 1e-5 between ORT and the float64 reference; the bound leaves room
// for other CPUs' summation order, and is far below a wiring mistake (≥ 0.1).
const LOGIT_TOLERANCE = 1e-3

let dir = ''
let config: TinyModelConfig & { max_position_embeddings: number }
let inits: Map<string, RawTensor>
let shape: Shape
let tokenizer: PreTrainedTokenizer
const sessions: { name: string; ort: Ort; session: Session }[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tiny-fixture-'))
  buildTinyModel(dir)
  config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as typeof config
  const model = readFileSync(join(dir, 'onnx/model_q4.onnx'))
  inits = readOnnxInitializers(model)
  shape = { layers: config.num_hidden_layers, kvHeads: config.num_key_value_heads, headDim: config.head_dim!, vocab: config.vocab_size }
  sessions.push({ name: 'onnxruntime-node cpu', ort: ortNode, session: await ortNode.InferenceSession.create(model) })
  ortWeb.env.wasm.numThreads = 1
  const web = await ortWeb.InferenceSession.create(model, { executionProviders: ['wasm'] })
  sessions.push({ name: 'onnxruntime-web wasm', ort: ortWeb as unknown as Ort, session: web as unknown as Session })
  env.allowRemoteModels = false
  env.localModelPath = dirname(dir)
  tokenizer = await AutoTokenizer.from_pretrained(basename(dir))
}, 180_000)

afterAll(async () => {
  for (const s of sessions) await s.session.release()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const chatPrompt = () =>
  tokenizer.apply_chat_template(
    [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'What is the swarm?' },
    ],
    { add_generation_prompt: true, tokenize: false },
  ) as string
const promptIds = () => Array.from(tokenizer.encode(chatPrompt(), { add_special_tokens: false }))

describe('tiny model: ONNX graph', () => {
  it('declares the inputs and outputs transformers.js feeds and reads', () => {
    for (const { session } of sessions) {
      const pkv = ['key', 'value'].flatMap((kv) => [0, 1].map((i) => `past_key_values.${i}.${kv}`))
      expect([...session.inputNames].sort()).toEqual(['attention_mask', 'input_ids', 'position_ids', ...pkv].sort())
      expect([...session.outputNames].sort()).toEqual(['logits', ...pkv.map((n) => n.replace('past_key_values', 'present'))].sort())
      const past = session.inputMetadata.find((m) => m.name === 'past_key_values.0.key')
      // Numeric heads/head_dim, symbolic batch_size: the empty first-step cache comes from this.
      expect(past && 'shape' in past ? past.shape : null).toEqual(['batch_size', 2, 'past_sequence_length', 16])
    }
  })

  it('computes the same logits as the independent reference, on both runtimes', async () => {
    const ids = promptIds()
    const ref = referenceLogits(config, inits, ids).flatMap((row) => Array.from(row))
    for (const { name, ort, session } of sessions) {
      const out = await step(ort, session, shape, [ids], [ids.map(() => 1)], [ids.map((_, i) => i)], emptyPast(ort, shape))
      expect(maxAbsDiff(out.logits, ref), name).toBeLessThan(LOGIT_TOLERANCE)
    }
  })

  it('greedy decoding of 32 tokens with the KV cache equals full recompute', async () => {
    for (const { name, ort, session } of sessions) {
      const cached = await greedyCached(ort, session, shape, promptIds(), 32)
      const full = await greedyRecompute(ort, session, shape, promptIds(), 32)
      expect(cached.tokens, name).toEqual(full.tokens)
      cached.stepLogits.forEach((l, i) => expect(maxAbsDiff(l, full.stepLogits[i]!), `${name} step ${i}`).toBeLessThan(LOGIT_TOLERANCE))
    }
  })

  it('left padding in a batch changes nothing for the real tokens', async () => {
    const long = promptIds().slice(0, 12)
    const short = long.slice(5)
    const pad = long.length - short.length
    const { ort, session } = sessions[0]!
    // Positions as transformers.js's create_position_ids makes them: pads get 1, real tokens count from 0.
    const mask = [long.map(() => 1), [...new Array<number>(pad).fill(0), ...short.map(() => 1)]]
    const positions = [long.map((_, i) => i), [...new Array<number>(pad).fill(1), ...short.map((_, i) => i)]]
    const batch = await step(ort, session, shape, [long, [...new Array<number>(pad).fill(0), ...short]], mask, positions, emptyPast(ort, shape, 2))
    const alone = await step(ort, session, shape, [short], [short.map(() => 1)], [short.map((_, i) => i)], emptyPast(ort, shape))
    const V = shape.vocab
    const paddedRow = batch.logits.slice((long.length + pad) * V, 2 * long.length * V)
    expect(maxAbsDiff(paddedRow, alone.logits)).toBeLessThan(LOGIT_TOLERANCE)
  })
})

describe('tiny model: transformers.js in Node', () => {
  it('generates the same 32 greedy tokens as the hand-driven cache loop', async () => {
    const model = await AutoModelForCausalLM.from_pretrained(basename(dir), { device: 'cpu' }) // dtype q4 comes from config.json
    try {
      const ids = promptIds()
      const inputs = tokenizer(chatPrompt(), { add_special_tokens: false })
      const out = (await model.generate({ ...inputs, max_new_tokens: 32, min_new_tokens: 32, do_sample: false })) as unknown as { tolist(): bigint[][] }
      const generated = out.tolist()[0]!.slice(ids.length).map(Number)
      const { ort, session } = sessions[0]!
      // min_new_tokens masks the EOS ids (generation_config.json), so the hand loop bans them too.
      const eos = (JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8')) as { eos_token_id: number[] }).eos_token_id
      expect(generated).toEqual((await greedyCached(ort, session, shape, ids, 32, eos)).tokens)
      expect(tokenizer.decode(generated, { skip_special_tokens: true })).toMatch(/[a-z]{3,}/i)
    } finally {
      await model.dispose()
    }
  })

  it('answers a chat through pipeline("text-generation") and stops at <|im_end|>', async () => {
    const generator = await pipeline('text-generation', basename(dir), { device: 'cpu', dtype: 'q4' })
    try {
      const messages = [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'What is the swarm?' },
      ]
      const [result] = (await generator(messages, { max_new_tokens: 48, do_sample: false })) as unknown as { generated_text: { role: string; content: string }[] }[]
      const reply = result!.generated_text.at(-1)!
      expect(reply.role).toBe('assistant')
      expect(reply.content.length).toBeGreaterThan(5)
      expect(reply.content).not.toContain('<|im_end|>')
    } finally {
      await generator.dispose()
    }
  })

})
