/**
 * Builds the tiny quantized decoder-only model folder that CI and offline
 * servers use to prove real inference through transformers.js, with no
 * network and no Python:
 *
 *   <outDir>/config.json, generation_config.json, tokenizer.json,
 *   tokenizer_config.json, onnx/model_q4.onnx   (transformers.js dtype 'q4')
 *
 * Deterministic: same bytes on every run. CPU-bound for several seconds
 * (training), so a server should call `buildTinyModel` before it starts
 * serving, or in a worker.
 *
 *   npx tsx scripts/tiny-model/build.ts [outDir]     (default fixtures/tiny-fixture)
 */
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encode, SPECIALS, tokenizerJson, trainBpe, type Bpe } from './bpe'
import { ropeTables, tinyConfig } from './config'
import { chats, documents } from './corpus'
import { chatml, configJson, EOS_ID, generationConfigJson, tokenizerConfigJson } from './hf-files'
import { buildDecoderOnnx } from './llama-graph'
import { defaultTrainOptions, trainTiny, type TrainOptions } from './train'

export const DEFAULT_OUT_DIR = 'fixtures/tiny-fixture'
/** Byte-level base (256) + 3 specials + learned merges. */
export const TARGET_VOCAB = 384

export interface BuildOptions {
  /** Override training (tests use fewer steps to check determinism cheaply). */
  train?: Partial<TrainOptions>
}

export interface BuiltFile {
  path: string
  bytes: number
  sha256: string
}

export interface BuildReport {
  outDir: string
  vocabSize: number
  files: BuiltFile[]
  losses: number[]
  ms: number
}

/** The training text as one token stream: documents and chats, each closed by <|endoftext|>. */
export function trainingText(): string {
  const chatTexts = chats.map(([system, user, assistant]) =>
    chatml(
      [
        { role: 'system', content: system },
        { role: 'user', content: user },
        { role: 'assistant', content: assistant },
      ],
      false,
    ),
  )
  return [...documents, ...chatTexts].map((t) => t + SPECIALS[EOS_ID]).join('')
}

/** The fixture's tokenizer: byte-level BPE learned from the bundled corpus. */
export function trainTinyTokenizer(): Bpe {
  return trainBpe([...documents, ...chats.flat()], TARGET_VOCAB)
}

export function buildTinyModel(outDir: string = DEFAULT_OUT_DIR, opts: BuildOptions = {}): BuildReport {
  const started = Date.now()
  const bpe = trainTinyTokenizer()
  const c = tinyConfig(bpe.vocab.length)
  const stream = Int32Array.from(encode(bpe, trainingText()))
  const train = { ...defaultTrainOptions, ...opts.train }
  const { weights, losses } = trainTiny(c, stream, ropeTables(c), train)
  const tail = losses.slice(-Math.min(20, losses.length))
  const info = {
    trainSteps: train.steps,
    trainTokens: train.steps * train.batch * train.seqLen,
    finalLoss: tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length),
  }

  const json = (value: object) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`)
  const outputs: [string, Uint8Array][] = [
    ['config.json', json(configJson(c, info))],
    ['generation_config.json', json(generationConfigJson())],
    ['tokenizer.json', json(tokenizerJson(bpe))],
    ['tokenizer_config.json', json(tokenizerConfigJson(c))],
    ['onnx/model_q4.onnx', buildDecoderOnnx(c, weights)],
  ]
  const dir = resolve(outDir)
  mkdirSync(join(dir, 'onnx'), { recursive: true })
  const files = outputs.map(([path, data]) => {
    writeFileSync(join(dir, path), data)
    return { path, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') }
  })
  return { outDir: dir, vocabSize: c.vocabSize, files, losses, ms: Date.now() - started }
}

// CLI entry: only when run directly, not when imported by the server or tests.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const report = buildTinyModel(process.argv[2] ?? DEFAULT_OUT_DIR)
  const out = process.stdout
  out.write(`tiny model → ${report.outDir} (vocab ${report.vocabSize}, ${report.ms} ms)\n`)
  out.write(`loss: first ${report.losses[0]?.toFixed(3)}, last-20 mean ${report.losses.slice(-20).reduce((a, b) => a + b, 0) / 20}\n`)
  for (const f of report.files) out.write(`  ${f.path.padEnd(24)} ${String(f.bytes).padStart(8)} B  ${f.sha256.slice(0, 16)}\n`)
}
