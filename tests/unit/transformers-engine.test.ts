/**
 * The real transformers.js engine (workers/transformers-engine.ts) on the tiny
 * fixture, in Node: the same engine code as in the browser worker, fetching
 * the fixture over HTTP from our own server, with onnxruntime-node's CPU
 * provider underneath (transformers.js's Node build has no 'wasm' device;
 * the browser backends are covered by tests/e2e/transformers.spec.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { env } from '@huggingface/transformers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureTinyFixture, FIXTURE_DIR } from '../../signaling-server/tiny-fixture'
import { startSwarmServer, type SwarmServer } from '../../signaling-server/server'
import { readOnnxInitializers, referenceLogits, type TinyModelConfig } from '../../src/inference/tiny-reference'
import { raiseAbortFlag } from '../../src/inference/abort-flag'
import type { CapabilityProbe } from '../../src/inference/types'
import { TransformersEngine } from '../../workers/transformers-engine'
import { runInferenceClientContract } from './inference-contract'
import { loadXGrammarInNode } from './xgrammar-node'

const NO_GPU: CapabilityProbe = { webgpu: false, webgpuUnavailableReason: 'node', shaderF16: false, maxBufferSize: 0, maxStorageBufferBindingSize: 0, vramBudgetMB: 0, hardwareConcurrency: 2 }
// Same bound as tiny-model-runtime.test.ts: observed ≤ 1e-5 against the float64 reference.
const LOGIT_TOLERANCE = 1e-3

let server: SwarmServer
let cacheDir = ''

beforeAll(async () => {
  await ensureTinyFixture()
  // In Node, transformers.js hands ONNX Runtime a file path, so remote files go through its disk cache: keep it out of node_modules.
  cacheDir = mkdtempSync(path.join(tmpdir(), 'tf-cache-'))
  env.cacheDir = cacheDir
  server = await startSwarmServer({ port: 0, tinyFixtureDir: FIXTURE_DIR })
}, 120_000)

afterAll(async () => {
  await server?.close()
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true })
})

const engine = (extra: { mirrorUrl?: string } = {}) =>
  TransformersEngine.create({ device: 'wasm', libDevice: 'cpu', localModelsUrl: `${server.url}/models/`, probe: async () => NO_GPU, loadGrammar: loadXGrammarInNode, ...extra })

/** A fresh engine with the fixture loaded, destroyed afterwards. */
async function withFixture(fn: (e: TransformersEngine) => Promise<void>): Promise<void> {
  const e = await engine()
  try {
    await e.load('tiny-fixture', () => {})
    await fn(e)
  } finally {
    e.destroy()
  }
}

runInferenceClientContract(
  'transformers.js engine on the tiny fixture (Node, onnxruntime-node)',
  async () => ({ client: await engine(), modelId: 'tiny-fixture', run: (p) => p }),
  // jsonSchema: the contract's schemas allow replies longer than the fixture's 2048-token context, and the fixture writes
  // every string to its maxLength, so they get cut off; grammar-decoding.test.ts covers constrained JSON on the fixture.
  { jsonSchema: false, seeded: false, cache: false },
)

describe('transformers.js engine specifics', () => {
  it('reports its backend, lists the fixture labelled as such, and measures tok/s at load', () =>
    withFixture(async (e) => {
      expect((await e.listModels()).find((m) => m.id === 'tiny-fixture')).toMatchObject({ engine: 'transformers', testFixture: true, supportsJsonSchema: true, quantization: 'q4' })
      const stats = await e.stats()
      expect(stats).toMatchObject({ engine: 'transformers', backend: 'wasm', simulated: false, state: 'ready', model: 'tiny-fixture' })
      expect(stats.tokensPerSec).toBeGreaterThan(0)
    }), 60_000)

  it('computes the same first-step logits as the plain-TS reference, and records greedy token ids', () =>
    withFixture(async (e) => {
      const tokens = [1, 300, 260, 305, 122, 349, 2, 10]
      const config = JSON.parse(readFileSync(path.join(FIXTURE_DIR, 'config.json'), 'utf8')) as TinyModelConfig
      const ref = referenceLogits(config, readOnnxInitializers(readFileSync(path.join(FIXTURE_DIR, 'onnx/model_q4.onnx'))), tokens).flatMap((r) => Array.from(r))
      const out = await e.firstLogits(tokens)
      expect(out).toMatchObject({ positions: tokens.length, vocab: config.vocab_size })
      let max = 0
      out.logits.forEach((v, i) => (max = Math.max(max, Math.abs(v - ref[i]!))))
      expect(max).toBeLessThan(LOGIT_TOLERANCE)

      const ask = { messages: [{ role: 'user' as const, content: 'What is the swarm?' }], maxTokens: 24, temperature: 0 }
      const a = await e.generate(ask, () => {})
      const ids = [...e.lastTokens()]
      const b = await e.generate(ask, () => {})
      expect(ids.length).toBe(a.usage.completionTokens)
      expect(e.lastStop()).toEqual({ steps: a.usage.completionTokens, cancelledAtStep: null }) // one forward pass per token, never stopped
      expect(e.lastTokens()).toEqual(ids)
      expect(b.text).toBe(a.text)
    }), 60_000)

  it('stops at the next step when the shared abort flag is raised, with no abort message, and stays usable', () =>
    withFixture(async (e) => {
      const ask = { messages: [{ role: 'user' as const, content: 'What is the swarm?' }], maxTokens: 64, temperature: 0 }
      const full = await e.generate(ask, () => {})
      expect(full.usage.completionTokens).toBeGreaterThan(8)
      const abortFlag = new Int32Array(new SharedArrayBuffer(4))
      let deltas = 0
      // Raised from inside the token callback, synchronously: only the flag can stop this run, nothing gets to call abort().
      await expect(e.generate({ ...ask, abortFlag }, () => void (++deltas === 1 && raiseAbortFlag(abortFlag)))).rejects.toMatchObject({ code: 'ABORTED' })
      // The flag is read before the next forward pass, and the stopping criteria end the run after it: at most two more tokens.
      expect(e.lastTokens().length).toBeLessThanOrEqual(3)
      // Seen at the step after the first token; the run ends within the step it saw it at.
      const stop = e.lastStop()
      expect(stop.cancelledAtStep).toBe(1)
      expect(stop.steps - stop.cancelledAtStep!).toBeLessThanOrEqual(1)
      expect((await e.stats()).state).toBe('ready')
      expect((await e.generate(ask, () => {})).text).toBe(full.text)
    }), 60_000)

  it('refuses a prompt longer than the context window with BAD_REQUEST', () =>
    withFixture(async (e) => {
      const long = 'the swarm '.repeat(1500)
      await expect(e.generate({ messages: [{ role: 'user', content: long }], maxTokens: 8, temperature: 0 }, () => {})).rejects.toMatchObject({ code: 'BAD_REQUEST' })
      expect((await e.stats()).state).toBe('ready')
    }), 60_000)

  it('fails a model the mirror lacks with MODEL_NOT_FOUND, naming the mirror', async () => {
    const e = await engine({ mirrorUrl: `${server.url}/models-missing/` })
    try {
      const err = await e.load('HuggingFaceTB/SmolLM2-135M-Instruct', () => {}).catch((x: unknown) => x)
      expect(err).toMatchObject({ code: 'MODEL_NOT_FOUND' })
      expect((err as Error).message).toContain('models-missing')
      expect(await e.stats()).toMatchObject({ state: 'error', model: null, lastError: { code: 'MODEL_NOT_FOUND' } })
    } finally {
      e.destroy()
    }
  }, 60_000)
})
