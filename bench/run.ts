/**
 * `npm run bench`: measurements, not tests (nothing here asserts on timings).
 *
 * 1. transformers.js on the tiny fixture model in headless Chromium with
 *    SwiftShader: decode tok/s and wall time on webgpu and on wasm, for the
 *    same prompt and the same greedy tokens; and, in the same page, the cost
 *    of our path (node panel → EngineController → InferenceClient → comlink →
 *    inference worker → engine → batched text → the try box) against calling
 *    the bundled transformers.js directly on the page's main thread for the
 *    same visible work (see loadDirect). Ratios are measured side by side in
 *    one run, the paths interleaved, medians after warm-ups (PLAN).
 * 2. The swarm benchmarks from bench/swarm.ts, when that file exists.
 * 3. Graph frame time while many nodes stream (bench/graph.ts).
 * 4. Constrained JSON decoding (bench/grammar.ts).
 * 5. Signed-record costs and the transport gate's pre-scan (bench/trust.ts); the signed
 *    board at 250 and 1,000 tasks: cold, warm, reload from the verified store (bench/signed-board.ts).
 * 6. The swarm API through donor tabs (bench/api.ts), when that file exists.
 * 7. The fixture swarm on real wasm inference, 2 tabs vs 1 (bench/fixture-swarm.ts).
 * 8. Failover: closed, SIGKILLed, frozen tab → re-queue time, peer-list drop (bench/failover.ts).
 */
import type { Worker } from '@playwright/test'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { setLogLevel } from '../src/log'
import { buildIfNeeded } from '../signaling-server/build-if-needed'
import { startSwarmServer } from '../signaling-server/server'
import { ensureTinyFixture } from '../signaling-server/tiny-fixture'
import { closeAll, distDir, launchPeer, type Peer } from '../tests/e2e/harness'
import { benchTrust } from './trust'
import { benchSignedBoard } from './signed-board'
import { benchFailover } from './failover'

/**
 * Runs per backend after the warm-ups. WASM timings on a small machine swing
 * 3× between runs while the JIT settles (observed 140–720 tok/s for the same
 * run), and more when other processes share the cores, hence many warm-ups,
 * many runs, the paths interleaved in a rotating order, medians, and ratios
 * taken per round (neighbours in time) before the median. The warm-ups are
 * long because V8 keeps tiering ONNX Runtime's WASM up in background threads
 * for dozens of runs (a trace showed 100 ms of compile jobs per run after 16
 * runs); whichever path ran while they did looked slower.
 * WebGPU on SwiftShader needs seconds per run: fewer.
 */
const PLAN = { wasm: { warmUps: 40, runs: 120 }, webgpu: { warmUps: 1, runs: 3 } } as const
/** The node panel's conversation (src/ui/node-panel.ts, greedy), so every path decodes exactly the same tokens. */
const SYSTEM = 'You are a helpful, concise assistant.'
const PROMPT = 'What is the swarm?'
const MAX_TOKENS = 256

interface Sample {
  readonly tokens: number
  readonly decodeTps: number
  readonly wallMs: number
}

interface Summary extends Sample {
  readonly tpsRange: readonly [number, number]
}

type PathName = 'bare' | 'direct' | 'engine' | 'call' | 'client' | 'worker'
interface DeviceResult {
  readonly paths: Record<PathName, Summary>
  /** Medians over rounds of per-round wall-time ratios, with the quartiles: the call, client and try box against direct, try box against bare, engine against direct, try box against engine. */
  readonly ratio: { readonly call: Quartiles; readonly client: Quartiles; readonly direct: Quartiles; readonly bare: Quartiles; readonly engineVsDirect: Quartiles; readonly pageVsEngine: Quartiles }
  /** Whether the page could share memory with its worker: the abort flag (src/inference/abort-flag.ts) replaces a turn per token only then. */
  readonly isolated: boolean
  /** Median ms of one page → worker → page call that does no work (stats()): the least any call through the worker can cost. */
  readonly roundTripMs: number
}
type Quartiles = readonly [number, number, number]

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const quartiles = (xs: number[]): Quartiles => {
  const s = [...xs].sort((a, b) => a - b)
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN
  return [at(0.25), at(0.5), at(0.75)]
}

function asset(prefix: string, ext: string): string {
  const name = readdirSync(path.join(distDir, 'assets')).find((f) => f.startsWith(prefix) && f.endsWith(ext))
  if (!name) throw new Error(`dist/assets has no ${prefix}*${ext}: run \`npx vite build\``)
  return `/assets/${name}`
}

/** Our path: the try box, timed from the click to the whole reply shown and the run marked done. */
async function viaWorker(peer: Peer): Promise<Sample> {
  return peer.page.evaluate(async () => {
    const out = document.querySelector<HTMLElement>('[data-testid="try-output"]')!
    const meta = document.querySelector<HTMLElement>('[data-testid="try-meta"]')!
    const t0 = performance.now()
    const done = new Promise<void>((resolve) => {
      const obs = new MutationObserver(() => {
        if (out.dataset.done !== 'true') return
        obs.disconnect()
        resolve()
      })
      obs.observe(out, { attributes: true, attributeFilter: ['data-done'] })
    })
    document.querySelector<HTMLButtonElement>('[data-testid="try-run"]')!.click()
    await done
    const wallMs = performance.now() - t0
    const m = /(\d+) tokens · ([\d.]+) tok\/s/.exec(meta.textContent ?? '')
    return { tokens: Number(m?.[1] ?? NaN), decodeTps: Number(m?.[2] ?? NaN), wallMs }
  })
}

/**
 * The same model loaded by the bundled transformers.js on the page's main
 * thread, with the engine's settings (q4, greedy, the engine's stop ids:
 * workers/transformers-engine.ts adds ChatML's <|im_end|>). Two direct calls:
 * - `direct`: the same work our path does for the user, done the way a page
 *   calling transformers.js itself would: build the chat prompt, generate,
 *   stream the text into the page with the library's TextStreamer, timed
 *   from the call to the last text on the page;
 * - `bare`: `model.generate()` alone on pre-built inputs, no text at all: a
 *   floor, not a like-for-like comparison (this was the only direct
 *   measurement before, which charged our path for tokenizing and showing
 *   text that the direct call never did).
 * A third path splits our overhead in two: `engine` calls the worker's
 * InferenceService itself from inside the worker (Playwright evaluates
 * there), so it has the worker thread and our engine but no page, comlink or
 * rendering; worker ÷ engine is then what the page side adds.
 */
async function loadDirect(peer: Peer, device: string, libUrl: string, wasmUrl: string): Promise<void> {
  await peer.page.evaluate(
    async ({ device, libUrl, wasmUrl, SYSTEM, PROMPT, MAX_TOKENS }) => {
      const lib = await import(/* @vite-ignore */ libUrl)
      const onnx = lib.env.backends.onnx
      onnx.wasm.wasmPaths = { wasm: new URL(wasmUrl, location.href).href }
      onnx.wasm.numThreads = 1
      onnx.wasm.proxy = false
      Object.assign(lib.env, { allowLocalModels: false, allowRemoteModels: true, remoteHost: new URL('/models/', location.href).href, remotePathTemplate: '{model}/', useBrowserCache: false })
      const tokenizer = await lib.AutoTokenizer.from_pretrained('tiny-fixture')
      const model = await lib.AutoModelForCausalLM.from_pretrained('tiny-fixture', { dtype: 'q4', device })
      const fromConfig = model.generation_config?.eos_token_id
      const eos = new Set<number>(Array.isArray(fromConfig) ? fromConfig : typeof fromConfig === 'number' ? [fromConfig] : [])
      const imEnd = tokenizer.get_vocab().get('<|im_end|>')
      if (typeof imEnd === 'number') eos.add(imEnd)
      if (typeof tokenizer.eos_token_id === 'number') eos.add(tokenizer.eos_token_id)
      const conversation = [{ role: 'system', content: SYSTEM }, { role: 'user', content: PROMPT }]
      const settings = { max_new_tokens: MAX_TOKENS, do_sample: false, eos_token_id: [...eos] }
      // The direct call shows its text the way the try box does: visible, in a box of the same class right under it.
      const tryOutput = document.querySelector('[data-testid="try-output"]')!
      const sink = tryOutput.parentElement!.insertBefore(document.createElement('pre'), tryOutput.nextSibling)
      sink.className = 'try-output'
      sink.dataset.testid = 'bench-direct-output'
      /** Empties the sink and returns the text node a run writes to, inside a .try-reply span like the try box's (src/ui/node-panel.ts). */
      const freshText = (): Text => {
        const span = document.createElement('span')
        span.className = 'try-reply'
        const text = span.appendChild(document.createTextNode(''))
        sink.replaceChildren(span)
        return text
      }
      const speed = (times: number[]) => (times.length >= 2 ? ((times.length - 1) * 1000) / (times.at(-1)! - times[0]!) : NaN)
      const direct = async () => {
        const t0 = performance.now()
        const times: number[] = []
        const text = freshText()
        const inputs = tokenizer.apply_chat_template(conversation, { add_generation_prompt: true, return_dict: true })
        const streamer = new lib.TextStreamer(tokenizer, { skip_prompt: true, skip_special_tokens: true, callback_function: (t: string) => t && text.appendData(t), token_callback_function: () => times.push(performance.now()) })
        await model.generate({ ...inputs, ...settings, streamer })
        return { tokens: times.length, decodeTps: speed(times), wallMs: performance.now() - t0 }
      }
      const bareInputs = tokenizer.apply_chat_template(conversation, { add_generation_prompt: true, return_dict: true })
      const bare = async () => {
        const times: number[] = []
        const t0 = performance.now()
        await model.generate({ ...bareInputs, ...settings, streamer: { put: () => times.push(performance.now()), end: () => {} } })
        const wallMs = performance.now() - t0
        times.shift() // the first put() is the prompt
        return { tokens: times.length, decodeTps: speed(times), wallMs }
      }
      ;(window as unknown as { __bench: unknown }).__bench = { direct, bare, freshText }
    },
    { device, libUrl, wasmUrl, SYSTEM, PROMPT, MAX_TOKENS },
  )
}

/** Our engine inside the worker, with no page in the loop: the try box's request, sent to the worker's own service. */
async function inWorkerEngine(worker: Worker): Promise<Sample> {
  return worker.evaluate(
    async ({ SYSTEM, PROMPT, MAX_TOKENS }) => {
      const service = (self as unknown as { __mindosInference: { generate(r: unknown): Promise<{ ok: boolean; value: { usage: { completionTokens: number; decodeTokensPerSec: number } } }> } }).__mindosInference
      // As the page's client does (src/inference/abort-flag.ts): a shared abort flag when the worker is cross-origin isolated.
      const abortFlag = self.crossOriginIsolated ? { abortFlag: new Int32Array(new SharedArrayBuffer(4)) } : {}
      const t0 = performance.now()
      const r = await service.generate({ messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: PROMPT }], maxTokens: MAX_TOKENS, temperature: 0, runId: `bench-${Math.random().toString(36).slice(2)}`, ...abortFlag })
      const wallMs = performance.now() - t0
      if (!r.ok) throw new Error('the engine failed inside the worker')
      return { tokens: r.value.usage.completionTokens, decodeTps: r.value.usage.decodeTokensPerSec, wallMs }
    },
    { SYSTEM, PROMPT, MAX_TOKENS },
  )
}

/**
 * The worker + InferenceClient path itself, without the try box: the page's
 * own client (`window.__mindos.inference`, the one the roles use) called with
 * the try box's request. No engine state changes, so no panel re-renders or
 * presence updates: what the worker boundary costs, not what showing the
 * run's state costs. Two ways:
 * - `call` (show = false): the streamed text collected in a string, as the
 *   roles do (src/roles/run-role.ts). This is the call the 1.02x target is
 *   about: the direct call's result against ours.
 * - `client` (show = true): its text appended to a visible box as it
 *   streams, the same sink and freshText as the direct call (loadDirect).
 *   The browser then paints while the model decodes; the direct call's page
 *   is blocked until it returns, so it paints once, after its clock stopped.
 *   The difference is what showing a reply live costs on this machine.
 */
async function viaClient(peer: Peer, show: boolean): Promise<Sample> {
  return peer.page.evaluate(
    async ({ SYSTEM, PROMPT, MAX_TOKENS, show }) => {
      type Client = { generate(r: unknown, onToken: (d: string) => void): Promise<{ usage: { completionTokens: number; decodeTokensPerSec: number } }> }
      const client = (window as unknown as { __mindos: { inference: Client } }).__mindos.inference
      const { freshText } = (window as unknown as { __bench: { freshText(): Text } }).__bench
      const t0 = performance.now()
      let collected = ''
      const text = show ? freshText() : null
      const onToken = text ? (d: string) => text.appendData(d) : (d: string) => void (collected += d)
      const r = await client.generate({ messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: PROMPT }], maxTokens: MAX_TOKENS, temperature: 0, runId: `bench-${Math.random().toString(36).slice(2)}` }, onToken)
      if (!show && collected.length === 0) throw new Error('the call streamed no text')
      return { tokens: r.usage.completionTokens, decodeTps: r.usage.decodeTokensPerSec, wallMs: performance.now() - t0 }
    },
    { SYSTEM, PROMPT, MAX_TOKENS, show },
  )
}

/**
 * Lets the page finish what the previous path left behind before the next
 * one is timed: the frame that shows a reply's last text, and the try box's
 * deferred state notification (presence, scheduler pokes, re-render) all run
 * after that path's clock stopped. Without this they landed in whichever
 * path ran next; the direct call, which paints only once it is over, passed
 * its paint on too. Two frames, then an idle callback (bounded).
 */
const settle = (peer: Peer): Promise<void> =>
  peer.page.evaluate(
    () =>
      new Promise<void>((resolve) =>
        // A hidden page runs no frames: the timeout keeps the bench from hanging there.
        (setTimeout(resolve, 1_000), requestAnimationFrame(() => requestAnimationFrame(() => requestIdleCallback(() => resolve(), { timeout: 200 })))),
      ),
  )

/** One call through the page's client that does no work in the worker (engine stats): two thread hops, comlink, and the reply's validation. */
const roundTrip = (peer: Peer): Promise<number> =>
  peer.page.evaluate(async () => {
    const client = (window as unknown as { __mindos: { inference: { stats(): Promise<unknown> } } }).__mindos.inference
    const t0 = performance.now()
    await client.stats()
    return performance.now() - t0
  })

const directCall = (peer: Peer, which: 'direct' | 'bare'): Promise<Sample> =>
  peer.page.evaluate((w) => (window as unknown as { __bench: Record<string, () => Promise<Sample>> }).__bench[w]!(), which)

async function benchDevice(url: string, device: 'wasm' | 'webgpu', libUrl: string, wasmUrl: string): Promise<DeviceResult> {
  const peer = await launchPeer({ webgpu: true })
  try {
    await peer.page.goto(`${url}/?engine=transformers&device=${device}&model=tiny-fixture&autoload=1#room=bench-${Date.now().toString(36)}`)
    // tsx compiles with esbuild's keepNames, which wraps functions in `__name(...)`; the page must know that helper.
    await peer.page.evaluate('globalThis.__name = (f) => f')
    await peer.page.locator('[data-testid="engine-status"][data-state="ready"]').waitFor({ timeout: 300_000 })
    await peer.page.getByTestId('try-greedy').check()
    await peer.page.getByTestId('try-prompt').fill(PROMPT)
    await loadDirect(peer, device, libUrl, wasmUrl)
    const worker = peer.page.workers().find((w) => w.url().includes('inference.worker'))
    if (!worker) throw new Error('the page has no inference worker')
    await worker.evaluate('globalThis.__name = (f) => f')
    const isolated = await peer.page.evaluate(() => self.crossOriginIsolated)
    const paths: Record<PathName, () => Promise<Sample>> = { worker: () => viaWorker(peer), call: () => viaClient(peer, false), client: () => viaClient(peer, true), engine: () => inWorkerEngine(worker), direct: () => directCall(peer, 'direct'), bare: () => directCall(peer, 'bare') }
    const run = (p: PathName): Promise<Sample> => settle(peer).then(paths[p])
    const order: PathName[] = ['worker', 'direct', 'call', 'client', 'engine', 'bare']
    const { warmUps, runs } = PLAN[device]
    // WebGPU compiles its shaders on first use; WASM code gets optimised by the JIT.
    for (let i = 0; i < warmUps; i++) for (const p of order) await run(p)
    const samples: Record<PathName, Sample[]> = { worker: [], call: [], client: [], direct: [], engine: [], bare: [] }
    const roundTrips: number[] = []
    for (let i = 0; i < runs; i++) {
      const round: Partial<Record<PathName, Sample>> = {}
      for (let k = 0; k < order.length; k++) {
        const p = order[(i + k) % order.length]! // rotate who goes first, so no path always runs right after another
        round[p] = await run(p)
        samples[p].push(round[p]!)
      }
      await settle(peer)
      roundTrips.push(await roundTrip(peer))
    }
    const pick = (xs: Sample[]): Summary => {
      const tps = xs.map((x) => x.decodeTps)
      return { tokens: median(xs.map((x) => x.tokens)), decodeTps: median(tps), wallMs: median(xs.map((x) => x.wallMs)), tpsRange: [Math.min(...tps), Math.max(...tps)] }
    }
    const per = (a: PathName, b: PathName) => quartiles(samples[a].map((w, i) => w.wallMs / samples[b][i]!.wallMs))
    return {
      paths: { bare: pick(samples.bare), direct: pick(samples.direct), engine: pick(samples.engine), call: pick(samples.call), client: pick(samples.client), worker: pick(samples.worker) },
      ratio: { call: per('call', 'direct'), client: per('client', 'direct'), direct: per('worker', 'direct'), bare: per('worker', 'bare'), engineVsDirect: per('engine', 'direct'), pageVsEngine: per('worker', 'engine') },
      isolated,
      roundTripMs: median(roundTrips),
    }
  } finally {
    await closeAll([peer])
  }
}

function table(results: Record<'wasm' | 'webgpu', DeviceResult>): string {
  const row = (device: string, pathName: string, s: Summary) =>
    `  ${device.padEnd(7)} ${pathName.padEnd(40)} ${String(s.tokens).padStart(6)} ${s.decodeTps.toFixed(1).padStart(12)} ${`${s.tpsRange[0].toFixed(0)}–${s.tpsRange[1].toFixed(0)}`.padStart(11)} ${s.wallMs.toFixed(1).padStart(9)}`
  const x = (a: number) => `${a.toFixed(2)}×`
  const q = ([lo, mid, hi]: Quartiles) => `${x(mid).padStart(6)} (${lo.toFixed(2)}–${hi.toFixed(2)})`
  const { wasm, webgpu } = results
  const tokens = new Set([wasm, webgpu].flatMap((r) => Object.values(r.paths).map((s) => s.tokens)))
  return [
    `transformers.js, tiny-fixture (q4), headless Chromium + SwiftShader; greedy, same prompt, stop ids and max tokens; medians`,
    `(wasm: ${PLAN.wasm.runs} rounds after ${PLAN.wasm.warmUps} warm-ups; webgpu: ${PLAN.webgpu.runs} after ${PLAN.webgpu.warmUps}; paths interleaved, order rotated)`,
    '  backend path                                     tokens  decode tok/s   tok/s range   wall ms',
    row('wasm', 'bare model.generate (no prompt, no text)', wasm.paths.bare),
    row('wasm', 'direct (page main thread, text shown)', wasm.paths.direct),
    row('wasm', 'our engine in the worker, no page', wasm.paths.engine),
    row('wasm', 'worker + InferenceClient (the call)', wasm.paths.call),
    row('wasm', 'worker + InferenceClient, text shown', wasm.paths.client),
    row('wasm', 'the try box (client + panel + state)', wasm.paths.worker),
    row('webgpu', 'bare model.generate (no prompt, no text)', webgpu.paths.bare),
    row('webgpu', 'direct (page main thread, text shown)', webgpu.paths.direct),
    row('webgpu', 'our engine in the worker, no page', webgpu.paths.engine),
    row('webgpu', 'worker + InferenceClient (the call)', webgpu.paths.call),
    row('webgpu', 'worker + InferenceClient, text shown', webgpu.paths.client),
    row('webgpu', 'the try box (client + panel + state)', webgpu.paths.worker),
    '',
    'Worker overhead, wall time, median of per-round ratios (quartiles):',
    `  worker + InferenceClient vs direct    wasm ${q(wasm.ratio.call)}   webgpu ${q(webgpu.ratio.call)}   (target: wasm <= 1.02x)`,
    `  the same, text shown as it streams    wasm ${q(wasm.ratio.client)}   webgpu ${q(webgpu.ratio.client)}`,
    `  the try box vs direct                 wasm ${q(wasm.ratio.direct)}   webgpu ${q(webgpu.ratio.direct)}`,
    `  the try box vs bare                   wasm ${q(wasm.ratio.bare)}   webgpu ${q(webgpu.ratio.bare)}`,
    `  split: engine in worker vs direct     wasm ${q(wasm.ratio.engineVsDirect)}   webgpu ${q(webgpu.ratio.engineVsDirect)}`,
    `  split: try box vs engine in worker    wasm ${q(wasm.ratio.pageVsEngine)}   webgpu ${q(webgpu.ratio.pageVsEngine)}`,
    `  webgpu vs wasm, decode tok/s through our worker: ${x(webgpu.paths.worker.decodeTps / wasm.paths.worker.decodeTps)}`,
    `  one page → worker → page call doing no work (stats()): wasm ${wasm.roundTripMs.toFixed(2)} ms = ${((100 * wasm.roundTripMs) / wasm.paths.direct.wallMs).toFixed(1)} % of the direct call; webgpu ${webgpu.roundTripMs.toFixed(2)} ms`,
    `  page cross-origin isolated (shared abort flag, no event-loop turn per token): wasm ${wasm.isolated ? 'yes' : 'NO'}, webgpu ${webgpu.isolated ? 'yes' : 'NO'}`,
    ...(tokens.size > 1 ? ['  (!) token counts differ between paths: compare tok/s, not wall time'] : []),
  ].join('\n')
}

async function main(): Promise<void> {
  setLogLevel('warn') // the tables are the output; the swarm simulation logs every task at info
  await buildIfNeeded()
  await ensureTinyFixture()
  const server = await startSwarmServer({ port: 0, staticDir: distDir })
  try {
    const libUrl = asset('transformers.web-', '.js')
    const wasmUrl = asset('ort-wasm-simd-threaded.asyncify-', '.wasm')
    const wasm = await benchDevice(server.url, 'wasm', libUrl, wasmUrl)
    const webgpu = await benchDevice(server.url, 'webgpu', libUrl, wasmUrl)
    process.stdout.write(`${table({ wasm, webgpu })}\n\n`)
  } finally {
    await server.close()
  }
  // `npm run bench -- --worker-only`: part 1 alone, for taking the worker-overhead ratio while the machine is quiet.
  if (process.argv.includes('--worker-only')) return
  // Optional, and maintained separately: imported by path so this file runs (and type-checks) without it.
  const swarm = path.join(path.dirname(fileURLToPath(import.meta.url)), 'swarm.ts')
  if (existsSync(swarm)) {
    const mod = (await import(pathToFileURL(swarm).href)) as { benchSwarm?: () => Promise<string> }
    if (typeof mod.benchSwarm === 'function') process.stdout.write(`${await mod.benchSwarm()}\n`)
  } else {
    process.stdout.write('(bench/swarm.ts not present: swarm benchmarks skipped)\n')
  }
  process.stdout.write(`\n${await (await import('./graph')).benchGraph()}\n`)
  const { benchGrammar } = await import('./grammar')
  process.stdout.write(`\n${await benchGrammar()}\n`)
  process.stdout.write(`\n${await benchTrust()}\n`)
  process.stdout.write(`\n${await benchSignedBoard()}\n`)
  // The swarm API through donor tabs (bench/api.ts), loaded the same way.
  const api = path.join(path.dirname(fileURLToPath(import.meta.url)), 'api.ts')
  if (existsSync(api)) {
    const mod = (await import(pathToFileURL(api).href)) as { benchApi?: () => Promise<string> }
    if (typeof mod.benchApi === 'function') process.stdout.write(`\n${await mod.benchApi()}\n`)
  }
  const { benchFixtureSwarm } = await import('./fixture-swarm')
  process.stdout.write(`\n${await benchFixtureSwarm()}\n`)
  // 8. Failover table (bench/failover.ts): close, SIGKILL, freeze → re-queue and peer-list drop.
  process.stdout.write(`\n${await benchFailover()}\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
