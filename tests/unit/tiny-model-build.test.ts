/**
 * The tiny fixture model's builder: deterministic output, a tokenizer that
 * transformers.js reads the same way the builder does, MatMulNBits packing as
 * the reference decodes it, and a trainer whose gradients are right.
 * Uses a 4-step training run, which goes through every code path of the full
 * build in a fraction of its time; tiny-model-runtime.test.ts runs the real one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encode } from '../../scripts/tiny-model/bpe'
import { buildTinyModel, trainingText, trainTinyTokenizer, type BuildReport } from '../../scripts/tiny-model/build'
import { ropeTables, type TinyConfig } from '../../scripts/tiny-model/config'
import { chatml } from '../../scripts/tiny-model/hf-files'
import { Prng } from '../../scripts/tiny-model/prng'
import { dequantizeQ4, quantizeQ4 } from '../../scripts/tiny-model/quantize'
import { initWeights, paramList, sequenceGrad, zerosLike } from '../../scripts/tiny-model/train'
import { dequantizeMatMulNBits } from '../../src/inference/tiny-reference'

const dirs: string[] = []
let first: BuildReport
let second: BuildReport
let tokenizer: PreTrainedTokenizer

beforeAll(async () => {
  for (let i = 0; i < 2; i++) dirs.push(mkdtempSync(join(tmpdir(), 'tiny-build-')))
  first = buildTinyModel(dirs[0]!, { train: { steps: 4 } })
  second = buildTinyModel(dirs[1]!, { train: { steps: 4 } })
  env.allowRemoteModels = false
  env.localModelPath = dirname(dirs[0]!)
  tokenizer = await AutoTokenizer.from_pretrained(basename(dirs[0]!))
}, 60_000)

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('tiny model build', () => {
  it('writes the same bytes on every run', () => {
    expect(first.files.map((f) => f.path)).toEqual([
      'config.json',
      'generation_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/model_q4.onnx',
    ])
    expect(second.files).toEqual(first.files)
  })

  it('stays small', () => {
    const total = first.files.reduce((s, f) => s + f.bytes, 0)
    expect(total).toBeLessThan(1024 * 1024)
  })

  it('declares a llama config with q4 as the default dtype', () => {
    const config = JSON.parse(readFileSync(join(dirs[0]!, 'config.json'), 'utf8')) as Record<string, unknown>
    expect(config).toMatchObject({ model_type: 'llama', num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, hidden_size: 64 })
    expect(config['transformers.js_config']).toMatchObject({ dtype: 'q4' })
    expect(config.vocab_size).toBe(first.vocabSize)
  })
})

describe('tiny model tokenizer', () => {
  it('encodes the training text exactly as transformers.js does', () => {
    const ours = encode(trainTinyTokenizer(), trainingText())
    expect(Array.from(tokenizer.encode(trainingText(), { add_special_tokens: false }))).toEqual(ours)
  })

  it('round-trips arbitrary text byte-level, with no unknown token', () => {
    const text = 'Plan: {"steps": [1, 2]} — naïve café, 東京, emoji 🐝\n\ttabs'
    const ids = tokenizer.encode(text, { add_special_tokens: false })
    expect(tokenizer.decode(ids)).toBe(text)
  })

  it('renders chats with the template the model was trained on', () => {
    const messages = [
      { role: 'system', content: 'You are a strict verifier.' },
      { role: 'user', content: 'Is this answer good?' },
    ] as const
    const rendered = tokenizer.apply_chat_template([...messages], { tokenize: false, add_generation_prompt: true })
    expect(rendered).toBe(chatml(messages, true))
  })
})

describe('tiny model quantization', () => {
  it('packs codes low nibble first and the reference dequantizes them identically', () => {
    const rng = new Prng(5)
    const [n, k, block] = [3, 64, 32]
    const w = rng.normals(n * k, 1)
    const q = quantizeQ4(w, n, k, block)
    const asRaw = (dims: number[], bytes: Uint8Array, dataType: number) => ({ dims, dataType, raw: bytes })
    const scalesRaw = new Uint8Array(q.scales.buffer.slice(0))
    const ref = dequantizeMatMulNBits(asRaw([n, k / block, block / 2], q.packed, 2), asRaw([n, k / block], scalesRaw, 1), k)
    expect(Float32Array.from(ref.w)).toEqual(dequantizeQ4(q)) // f64 product rounded like the f32 store
    // Element 0 of row 0 sits in the low nibble of byte 0, element 1 in its high nibble.
    expect(q.packed[0]! & 15).toBe(Math.round(w[0]! / q.scales[0]!) + 8)
    expect(q.packed[0]! >> 4).toBe(Math.round(w[1]! / q.scales[0]!) + 8)
    // Symmetric rounding: error at most half a step per block.
    const deq = dequantizeQ4(q)
    for (let i = 0; i < w.length; i++) {
      const scale = q.scales[Math.floor(i / k) * (k / block) + Math.floor((i % k) / block)]!
      expect(Math.abs(deq[i]! - w[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-6)
    }
  })
})

describe('tiny model trainer', () => {
  it('back-propagates the true gradient (central differences)', () => {
    const c: TinyConfig = { vocabSize: 13, hidden: 8, intermediate: 12, layers: 2, heads: 4, kvHeads: 2, headDim: 4, maxPositions: 8, ropeTheta: 10000, rmsEps: 1e-5, blockSize: 4 }
    const w = initWeights(c, new Prng(3))
    const ids = Int32Array.from([1, 5, 7, 2, 12, 0, 3])
    const rope = ropeTables(c)
    const grads = zerosLike(w)
    sequenceGrad(c, w, grads, ids, rope, 1)
    const params = paramList(w)
    const analytic = paramList(grads)
    const rng = new Prng(9)
    for (let t = 0; t < 40; t++) {
      const p = rng.int(params.length)
      const j = rng.int(params[p]!.length)
      const orig = params[p]![j]!
      const eps = 1e-2
      params[p]![j] = orig + eps
      const plus = sequenceGrad(c, w, zerosLike(w), ids, rope, 1)
      params[p]![j] = orig - eps
      const minus = sequenceGrad(c, w, zerosLike(w), ids, rope, 1)
      params[p]![j] = orig
      const numeric = (plus - minus) / (2 * eps)
      // Observed worst ≈ 1e-3 relative (float32 storage); a wrong term is off by far more.
      expect(Math.abs(numeric - analytic[p]![j]!), `param ${p}[${j}]`).toBeLessThan(1e-2 * Math.max(0.05, Math.abs(analytic[p]![j]!)))
    }
  })
})
