/**
 * `npm run bench`: measurements, not tests (nothing here asserts on timings).
 *
 * 1. transformers.js on the tiny fixture model in headless Chromium with
 *    SwiftShader: decode tok/s and wall time on webgpu and on wasm, for the
 *    same prompt and the same greedy tokens; and, in the same page, the cost
 *    of our path (node panel → EngineController → InferenceClient → comlink →
 *    inference worker → engine) against calling the bundled transformers.js
 *    directly on the page's main thread. Ratios are measured side by side in
 *    one run, the two paths interleaved, medians after warm-ups (PLAN).
 * 2. The swarm benchmarks from bench/swarm.ts, when that file exists.
 * 3. Signed-record costs and the transport gate's pre-scan (bench/trust.ts).
 * 4. The swarm API through donor tabs (bench/api.ts), when that file exists.
 * 5. Failover: closed, SIGKILLed, frozen tab → re-queue time, peer-list drop (bench/failover.ts).
 */
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { setLogLevel } from '../src/log'
import { buildIfNeeded } from '../signaling-server/build-if-needed'
import { startSwarmServer } from '../signaling-server/server'
import { ensureTinyFixture } from '../signaling-server/tiny-fixture'
import { closeAll, distDir, launchPeer, type Peer } from '../tests/e2e/harness'
import { benchTrust } from './trust'
import { benchFailover } from './failover'

/**
 * Runs per backend after the warm-ups. WASM timings on a small machine swing
 * 3× between runs while the JIT settles (observed 140–720 tok/s for the same
 * run), hence several warm-ups, many runs, medians, and the spread printed.
 * WebGPU on SwiftShader needs seconds per run: fewer.
 */
const PLAN = { wasm: { warmUps: 5, runs: 9 }, webgpu: { warmUps: 1, runs: 3 } } as const
/** The node panel's conversation (src/ui/node-panel.ts, greedy), so both paths decode exactly the same tokens. */
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

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

function asset(prefix: string, ext: string): string {
  const name = readdirSync(path.join(distDir, 'assets')).find((f) => f.startsWith(prefix) && f.endsWith(ext))
  if (!name) throw new Error(`dist/assets has no ${prefix}*${ext}: run \`npx vite build\``)
  return `/assets/${name}`
}

/** Our path: the try box, timed from the click to the last streamed token reaching the page. */
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

/** The same model loaded by the bundled transformers.js on the page's main thread, with the engine's own settings. */
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
      const run = async () => {
        const inputs = tokenizer.apply_chat_template([{ role: 'system', content: SYSTEM }, { role: 'user', content: PROMPT }], { add_generation_prompt: true, return_dict: true })
        const times: number[] = []
        const t0 = performance.now()
        await model.generate({ ...inputs, max_new_tokens: MAX_TOKENS, do_sample: false, streamer: { put: () => times.push(performance.now()), end: () => {} } })
        const wallMs = performance.now() - t0
        const tokens = times.length - 1 // the first put() is the prompt
        const decodeTps = tokens >= 2 ? ((tokens - 1) * 1000) / (times.at(-1)! - times[1]!) : NaN
        return { tokens, decodeTps, wallMs }
      }
      ;(window as unknown as { __benchDirect: typeof run }).__benchDirect = run
    },
    { device, libUrl, wasmUrl, SYSTEM, PROMPT, MAX_TOKENS },
  )
}

const direct = (peer: Peer): Promise<Sample> => peer.page.evaluate(() => (window as unknown as { __benchDirect: () => Promise<Sample> }).__benchDirect())

async function benchDevice(url: string, device: 'wasm' | 'webgpu', libUrl: string, wasmUrl: string): Promise<{ worker: Summary; direct: Summary }> {
  const peer = await launchPeer({ webgpu: true })
  try {
    await peer.page.goto(`${url}/?engine=transformers&device=${device}&model=tiny-fixture&autoload=1#room=bench-${Date.now().toString(36)}`)
    // tsx compiles with esbuild's keepNames, which wraps functions in `__name(...)`; the page must know that helper.
    await peer.page.evaluate('globalThis.__name = (f) => f')
    await peer.page.locator('[data-testid="engine-status"][data-state="ready"]').waitFor({ timeout: 300_000 })
    await peer.page.getByTestId('try-greedy').check()
    await peer.page.getByTestId('try-prompt').fill(PROMPT)
    await loadDirect(peer, device, libUrl, wasmUrl)
    const { warmUps, runs } = PLAN[device]
    for (let i = 0; i < warmUps; i++) {
      await viaWorker(peer) // WebGPU compiles its shaders on first use; WASM code gets optimised by the JIT
      await direct(peer)
    }
    const w: Sample[] = []
    const d: Sample[] = []
    for (let i = 0; i < runs; i++) {
      w.push(await viaWorker(peer))
      d.push(await direct(peer))
    }
    const pick = (xs: Sample[]): Summary => {
      const tps = xs.map((x) => x.decodeTps)
      return { tokens: median(xs.map((x) => x.tokens)), decodeTps: median(tps), wallMs: median(xs.map((x) => x.wallMs)), tpsRange: [Math.min(...tps), Math.max(...tps)] }
    }
    return { worker: pick(w), direct: pick(d) }
  } finally {
    await closeAll([peer])
  }
}

function table(results: Record<'wasm' | 'webgpu', { worker: Summary; direct: Summary }>): string {
  const row = (device: string, pathName: string, s: Summary) =>
    `  ${device.padEnd(7)} ${pathName.padEnd(34)} ${String(s.tokens).padStart(6)} ${s.decodeTps.toFixed(1).padStart(12)} ${`${s.tpsRange[0].toFixed(0)}–${s.tpsRange[1].toFixed(0)}`.padStart(11)} ${s.wallMs.toFixed(0).padStart(9)}`
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`
  const { wasm, webgpu } = results
  return [
    `transformers.js, tiny-fixture (q4), headless Chromium + SwiftShader; greedy, same prompt and tokens; medians`,
    `(wasm: ${PLAN.wasm.runs} runs after ${PLAN.wasm.warmUps} warm-ups; webgpu: ${PLAN.webgpu.runs} after ${PLAN.webgpu.warmUps}; paths interleaved)`,
    '  backend path                               tokens  decode tok/s   tok/s range   wall ms',
    row('wasm', 'direct (page main thread)', wasm.direct),
    row('wasm', 'worker + InferenceClient (try box)', wasm.worker),
    row('webgpu', 'direct (page main thread)', webgpu.direct),
    row('webgpu', 'worker + InferenceClient (try box)', webgpu.worker),
    '',
    'Ratios (side by side, this run):',
    `  webgpu vs wasm, decode tok/s through our worker:      ${x(webgpu.worker.decodeTps, wasm.worker.decodeTps)}`,
    `  our path vs direct, wall time          wasm ${x(wasm.worker.wallMs, wasm.direct.wallMs).padStart(7)}   webgpu ${x(webgpu.worker.wallMs, webgpu.direct.wallMs).padStart(7)}`,
    `  our path vs direct, decode tok/s       wasm ${x(wasm.worker.decodeTps, wasm.direct.decodeTps).padStart(7)}   webgpu ${x(webgpu.worker.decodeTps, webgpu.direct.decodeTps).padStart(7)}`,
    ...(wasm.worker.tokens !== wasm.direct.tokens || webgpu.worker.tokens !== webgpu.direct.tokens ? ['  (!) token counts differ between paths: compare tok/s, not wall time'] : []),
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
  // Optional, and maintained separately: imported by path so this file runs (and type-checks) without it.
  const swarm = path.join(path.dirname(fileURLToPath(import.meta.url)), 'swarm.ts')
  if (existsSync(swarm)) {
    const mod = (await import(pathToFileURL(swarm).href)) as { benchSwarm?: () => Promise<string> }
    if (typeof mod.benchSwarm === 'function') process.stdout.write(`${await mod.benchSwarm()}\n`)
  } else {
    process.stdout.write('(bench/swarm.ts not present: swarm benchmarks skipped)\n')
  }
  process.stdout.write(`\n${await benchTrust()}\n`)
  // The swarm API through donor tabs (bench/api.ts), loaded the same way.
  const api = path.join(path.dirname(fileURLToPath(import.meta.url)), 'api.ts')
  if (existsSync(api)) {
    const mod = (await import(pathToFileURL(api).href)) as { benchApi?: () => Promise<string> }
    if (typeof mod.benchApi === 'function') process.stdout.write(`\n${await mod.benchApi()}\n`)
  }
  // 5. Failover table (bench/failover.ts): close, SIGKILL, freeze → re-queue and peer-list drop.
  process.stdout.write(`\n${await benchFailover()}\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
