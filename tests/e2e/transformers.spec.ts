/**
 * The transformers.js engine in real Chromium, inside the inference worker,
 * on the project's own tiny 4-bit model (served by the app server at
 * /models/tiny-fixture/). No network: every file comes from our origin.
 *  (a) webgpu (SwiftShader) and wasm: the fixture loads, ≥ 32 greedy tokens
 *      stream into the node panel's try box with tok/s, both backends produce
 *      the same token ids, and the first step's logits match the independent
 *      plain-TS reference forward pass (src/inference/tiny-reference.ts);
 *  (b) abort mid-generation stops within a few tokens and the engine stays
 *      usable, through the shared abort flag and without it;
 *  (c) without WebGPU the default engine falls back to transformers.js on wasm;
 *  (d) a mirror without the model's files fails the load with MODEL_NOT_FOUND;
 *  (e) "Reply as JSON" is grammar-constrained in the worker on wasm and on
 *      webgpu: the fixture's nonsense comes back as JSON matching the verdict schema.
 * Token ids and logits are read through the worker's diagnostics
 * (`self.__mindosInference`, workers/inference.worker.ts) with Playwright's
 * worker.evaluate: the page itself has no such hook.
 */
import { test, expect, type Page, type Worker } from '@playwright/test'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { AutoModelForCausalLM, AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers'
import { FIXTURE_DIR, ensureTinyFixture } from '../../signaling-server/tiny-fixture'
import { checkSchema } from '../../src/inference/schema-check'
import { readOnnxInitializers, referenceLogits, type TinyModelConfig } from '../../src/inference/tiny-reference'
import { verdictSchema } from '../../src/roles/verdict'
import { closeAll, launchPeer, startServer, uniqueRoom, type Peer } from './harness'

/** The node panel's system prompt (src/ui/node-panel.ts): the engine sees exactly this conversation. */
const SYSTEM = 'You are a helpful, concise assistant.'
const CANDIDATES = ['What is the swarm?', 'Explain how honey bees make honey', 'List many facts about rivers', 'Tell me about the hive and the board']
const MIN_TOKENS = 32
/**
 * Observed max |Δlogit| against the float64 reference: ~1e-5 on wasm and on
 * SwiftShader WebGPU. The bound leaves room for other GPUs' summation order
 * and stays far below what a wiring mistake causes (≥ 0.1).
 */
const LOGIT_TOLERANCE = 1e-3

interface Diag {
  debugLastTokens(): Promise<{ ok: boolean; value: number[] }>
  debugLastStop(): Promise<{ ok: boolean; value: { steps: number; cancelledAtStep: number | null } }>
  debugFirstLogits(t: number[]): Promise<{ ok: boolean; value: { vocab: number; positions: number; logits: Float32Array } }>
}
type DiagGlobal = { __mindosInference: Diag }

let tokenizer: PreTrainedTokenizer
let prompt = ''
let promptIds: number[] = []
let nodeGreedy: number[] = []

/** Picks, in Node before any browser starts, a prompt whose greedy reply is long enough (like sim-seed.ts does for plans). */
test.beforeAll(async () => {
  test.setTimeout(180_000)
  await ensureTinyFixture()
  env.allowRemoteModels = false
  env.localModelPath = path.dirname(FIXTURE_DIR)
  tokenizer = await AutoTokenizer.from_pretrained(path.basename(FIXTURE_DIR))
  const model = await AutoModelForCausalLM.from_pretrained(path.basename(FIXTURE_DIR), { device: 'cpu' })
  try {
    for (const candidate of CANDIDATES) {
      const ids = Array.from(tokenizer.apply_chat_template([{ role: 'system', content: SYSTEM }, { role: 'user', content: candidate }], { add_generation_prompt: true, return_tensor: false, return_dict: false }) as number[])
      const inputs = tokenizer.apply_chat_template([{ role: 'system', content: SYSTEM }, { role: 'user', content: candidate }], { add_generation_prompt: true, return_dict: true })
      const out = (await model.generate({ ...(inputs as object), max_new_tokens: 128, do_sample: false })) as unknown as { tolist(): bigint[][] }
      const generated = out.tolist()[0]!.slice(ids.length).map(Number)
      if (generated.length >= MIN_TOKENS) {
        prompt = candidate
        promptIds = ids
        nodeGreedy = generated
        return
      }
    }
  } finally {
    await model.dispose()
  }
  throw new Error(`no candidate prompt makes the fixture say ${MIN_TOKENS}+ tokens greedily`)
})

const inferenceWorker = async (page: Page): Promise<Worker> => {
  await expect.poll(() => page.workers().some((w) => w.url().includes('inference.worker')), { timeout: 30_000 }).toBe(true)
  return page.workers().find((w) => w.url().includes('inference.worker'))!
}

async function openFixture(peer: Peer, url: string, device: 'webgpu' | 'wasm'): Promise<void> {
  await peer.page.goto(`${url}/?engine=transformers&device=${device}&model=tiny-fixture&autoload=1#room=${uniqueRoom(`tf-${device}`)}`)
  const status = peer.page.getByTestId('engine-status')
  // WebGPU on SwiftShader compiles every shader on the CPU: the warm-up alone takes seconds.
  await expect(status).toHaveAttribute('data-state', 'ready', { timeout: 150_000 })
  await expect(status).toHaveAttribute('data-engine', 'transformers')
  await expect(status).toContainText(new RegExp(`transformers\\.js · tiny-fixture · ${device} · ready · \\d+\\.\\d tok/s`))
  await expect(peer.page.getByTestId('fixture-badge')).toHaveText('TEST FIXTURE')
}

/** Runs the try box greedily and returns what the page saw plus the token ids the worker generated. */
async function tryGreedy(page: Page, worker: Worker): Promise<{ text: string; tokens: number; tps: number; steps: number; ids: number[] }> {
  await page.getByTestId('try-greedy').check()
  await page.getByTestId('try-prompt').fill(prompt)
  // Count how many separate updates reach the output: streaming means many, not one at the end.
  await page.evaluate(() => {
    const out = document.querySelector('[data-testid="try-output"]')!
    const w = window as unknown as { __lengths: Set<number> }
    w.__lengths = new Set()
    new MutationObserver(() => w.__lengths.add(out.textContent?.length ?? 0)).observe(out, { childList: true, characterData: true, subtree: true })
  })
  await page.getByTestId('try-run').click()
  await expect(page.getByTestId('try-meta')).toHaveAttribute('data-result', 'done', { timeout: 120_000 })
  const meta = (await page.getByTestId('try-meta').textContent()) ?? ''
  const m = /transformers · tiny-fixture · (\d+) tokens · (\d+\.\d) tok\/s · (stop|length)/.exec(meta)
  expect(m, meta).not.toBeNull()
  const steps = await page.evaluate(() => (window as unknown as { __lengths: Set<number> }).__lengths.size)
  const ids = (await worker.evaluate(() => (self as unknown as DiagGlobal).__mindosInference.debugLastTokens())).value
  return { text: (await page.getByTestId('try-output').textContent()) ?? '', tokens: Number(m![1]), tps: Number(m![2]), steps, ids }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!))
  return max
}

test('the fixture runs in the worker on webgpu and on wasm: streamed greedy tokens, tok/s, identical ids, logits = reference', async () => {
  test.setTimeout(420_000)
  const server = await startServer()
  const config = JSON.parse(readFileSync(path.join(FIXTURE_DIR, 'config.json'), 'utf8')) as TinyModelConfig
  const reference = referenceLogits(config, readOnnxInitializers(readFileSync(path.join(FIXTURE_DIR, 'onnx/model_q4.onnx'))), promptIds).flatMap((row) => Array.from(row))
  const runs: Record<string, number[]> = {}
  try {
    for (const device of ['wasm', 'webgpu'] as const) {
      const peer = await launchPeer({ webgpu: true })
      try {
        await openFixture(peer, server.url, device)
        await expect(peer.page.getByTestId('capabilities')).toHaveAttribute('data-webgpu', 'true')
        const worker = await inferenceWorker(peer.page)
        const run = await tryGreedy(peer.page, worker)
        expect(run.tokens, `${device} greedy tokens`).toBeGreaterThanOrEqual(MIN_TOKENS)
        expect(run.ids).toHaveLength(run.tokens)
        expect(run.tps).toBeGreaterThan(0)
        // Streamed text crosses the worker boundary in ~16 ms batches (src/inference/delta-batcher.ts),
        // so how many pieces a fast reply arrives in depends on the machine's speed; streaming means more than one.
        expect(run.steps, `${device}: the reply arrived in pieces`).toBeGreaterThanOrEqual(2)
        expect(run.text).toBe(tokenizer.decode(run.ids, { skip_special_tokens: true }))
        runs[device] = run.ids

        const reply = await worker.evaluate((ids) => (self as unknown as DiagGlobal).__mindosInference.debugFirstLogits(ids), promptIds)
        expect(reply.ok).toBe(true)
        expect(reply.value.positions).toBe(promptIds.length)
        const diff = maxAbsDiff(Object.values(reply.value.logits), reference)
        test.info().annotations.push({ type: `${device} max |Δlogit| vs reference`, description: diff.toExponential(2) })
        expect(diff, `${device} logits vs the plain-TS reference`).toBeLessThan(LOGIT_TOLERANCE)
        expect(peer.errors).toEqual([])
      } finally {
        await closeAll([peer])
      }
    }
    expect(runs.webgpu, 'greedy token ids: webgpu = wasm').toEqual(runs.wasm)
    expect(runs.wasm, 'greedy token ids: browser = transformers.js on onnxruntime-node').toEqual(nodeGreedy)
  } finally {
    await server.close()
  }
})

test('"Reply as JSON" is constrained by the grammar in the worker, on wasm and on webgpu: the reply matches the verdict schema', async () => {
  test.setTimeout(420_000)
  const server = await startServer()
  const peer = await launchPeer({ webgpu: true })
  const { page } = peer
  try {
    for (const device of ['wasm', 'webgpu'] as const) {
      await openFixture(peer, server.url, device)
      await page.getByTestId('try-json').check()
      for (const [i, greedy] of [true, false].entries()) {
        await page.getByTestId('try-greedy').setChecked(greedy)
        await page.getByTestId('try-prompt').fill(`${CANDIDATES[i]}: is that right?`)
        await page.getByTestId('try-run').click()
        const meta = page.getByTestId('try-meta')
        await expect(meta).toHaveAttribute('data-result', 'done', { timeout: 150_000 })
        const text = (await page.getByTestId('try-output').textContent()) ?? ''
        test.info().annotations.push({ type: `${device} ${greedy ? 'greedy' : 'sampled'} JSON reply`, description: text })
        await expect(meta).toContainText(/transformers · tiny-fixture · \d+ tokens · .* · stop · valid JSON for the schema/)
        expect(checkSchema(verdictSchema(), JSON.parse(text)), `${device}: ${text}`).toEqual([])
      }
    }
    expect(peer.errors).toEqual([])
  } finally {
    await closeAll([peer], server)
  }
})

/**
 * Both ways Stop reaches a worker decoding synchronously on wasm: the shared
 * abort flag of a cross-origin isolated page (the server's COOP/COEP,
 * signaling-server/isolation.ts), and, from a server that does not send
 * those headers, the abort message let in by a turn per token.
 */
for (const isolated of [true, false]) {
  test(`abort mid-generation on wasm stops within a few tokens and the engine stays usable (${isolated ? 'shared abort flag' : 'not isolated: abort message'})`, async () => {
    // Not through page.route: a page fulfilled by Playwright has no address, and Chromium then blocks its WebSocket to loopback.
    const server = await startServer(0, { crossOriginIsolation: isolated })
    const peer = await launchPeer()
    const { page } = peer
    try {
      await openFixture(peer, server.url, 'wasm')
      const worker = await inferenceWorker(page)
      expect(await page.evaluate(() => self.crossOriginIsolated), 'the page is cross-origin isolated').toBe(isolated)
      expect(await worker.evaluate(() => self.crossOriginIsolated), 'the worker is cross-origin isolated').toBe(isolated)
      const full = await tryGreedy(page, worker)
      // Press Stop as soon as the first text arrives: the abort must overtake a generation that runs at ~100 tok/s.
      await page.evaluate(() => {
        const out = document.querySelector('[data-testid="try-output"]')!
        const obs = new MutationObserver(() => {
          if (!out.textContent) return
          obs.disconnect()
          ;(document.querySelector('[data-testid="try-abort"]') as HTMLButtonElement).click()
        })
        obs.observe(out, { childList: true, characterData: true, subtree: true })
      })
      await page.getByTestId('try-run').click()
      await expect(page.getByTestId('try-meta')).toHaveAttribute('data-result', 'aborted')
      const stopped = await worker.evaluate(() => (self as unknown as DiagGlobal).__mindosInference.debugLastTokens())
      const stop = (await worker.evaluate(() => (self as unknown as DiagGlobal).__mindosInference.debugLastStop())).value
      // What the worker owns: once Stop reaches it (the flag read before a step, or the abort message let in by the turn
      // before a step), the run ends within that step. Counted in the worker's own steps, so the page's latency in
      // front of it (the first text reaching a main thread that may be rendering the run's start, then the click: CI
      // saw 10 to 22 tokens go by) is not in this bound.
      expect(full.tokens).toBeGreaterThanOrEqual(MIN_TOKENS)
      expect(stop.cancelledAtStep, 'the worker saw Stop').not.toBeNull()
      expect(stop.steps - stop.cancelledAtStep!, 'decoding steps after the worker saw Stop').toBeLessThanOrEqual(1)
      // And end to end: the run stopped short of the reply it would have written.
      expect(stopped.value.length, 'tokens generated before the abort took effect').toBeLessThan(full.tokens)
      expect(stopped.value).toEqual(full.ids.slice(0, stopped.value.length))
      const shown = await page.getByTestId('try-output').textContent()
      await page.waitForTimeout(300)
      expect(await page.getByTestId('try-output').textContent()).toBe(shown)
      await expect(page.getByTestId('engine-status')).toHaveAttribute('data-state', 'ready')
      // Still usable: the same greedy run gives the same tokens.
      expect((await tryGreedy(page, worker)).ids).toEqual(full.ids)
      expect(peer.errors).toEqual([])
    } finally {
      await closeAll([peer], server)
    }
  })
}

test('without WebGPU the default engine falls back to transformers.js on wasm, and the fixture loads', async () => {
  const server = await startServer()
  const peer = await launchPeer()
  const { page } = peer
  try {
    await page.goto(`${server.url}/?model=tiny-fixture&autoload=1#room=${uniqueRoom('tf-fallback')}`)
    const status = page.getByTestId('engine-status')
    await expect(status).toHaveAttribute('data-state', 'ready', { timeout: 60_000 })
    await expect(status).toHaveAttribute('data-engine', 'transformers')
    await expect(status).toContainText('transformers.js · tiny-fixture · wasm · ready')
    await expect(page.getByTestId('engine-notice')).toContainText(/WebGPU unavailable.*transformers\.js on the CPU \(wasm\)/)
    await expect(page.getByTestId('capabilities')).toHaveAttribute('data-webgpu', 'false')
    // Asking for webgpu explicitly, with no adapter: the panel says so and nothing loads.
    await page.goto(`${server.url}/?engine=transformers&device=webgpu&model=tiny-fixture&autoload=1#room=${uniqueRoom('tf-nogpu')}`)
    await expect(status).toHaveAttribute('data-state', 'no-webgpu')
    await expect(page.getByTestId('model-load')).toBeDisabled()
    expect(peer.errors).toEqual([])
  } finally {
    await closeAll([peer], server)
  }
})

test('a mirror without the model files fails the load with MODEL_NOT_FOUND, visibly', async () => {
  const server = await startServer()
  const peer = await launchPeer()
  const { page } = peer
  try {
    const mirror = encodeURIComponent(`${server.url}/models-missing`)
    await page.goto(`${server.url}/?engine=transformers&device=wasm&models=${mirror}&model=HuggingFaceTB/SmolLM2-135M-Instruct&autoload=1#room=${uniqueRoom('tf-missing')}`)
    const error = page.getByTestId('engine-error')
    await expect(error).toHaveAttribute('data-code', 'MODEL_NOT_FOUND', { timeout: 60_000 })
    await expect(error).toContainText('models-missing')
    await expect(page.getByTestId('engine-status')).toHaveAttribute('data-state', 'error')
    expect(peer.errors.filter((e) => e.startsWith('pageerror:'))).toEqual([])
  } finally {
    await closeAll([peer], server)
  }
})
