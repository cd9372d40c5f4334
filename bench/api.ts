/**
 * Swarm API benchmark (part of `npm run bench`): through the official
 * `openai` client, API request → first streamed token and → full answer, for
 * a 6-step task on 3 donor tabs (`npm run donor`, separate Chromium
 * processes) running the simulated engine with its realistic profile
 * (`simPlanSteps=6`, role lengths as in src/inference/sim/profile.ts; the
 * page ignores parameters it does not know yet). Streamed and non-streamed
 * requests are interleaved in one run and reported side by side as ratios.
 */
import OpenAI from 'openai'
import { performance } from 'node:perf_hooks'
import { startSwarmServer } from '../signaling-server/server'
import { distDir } from '../tests/e2e/harness'
import { runDonor } from '../tests/e2e/donor-process'

const TABS = 3
const RUNS = Number(process.env.BENCH_API_RUNS ?? 3)
/** Decode speed of each simulated tab: about what a small quantized model does on a laptop GPU. */
const SIM_TPS = Number(process.env.BENCH_API_SIM_TPS ?? 50)
const QUERY = `simTps=${SIM_TPS}&simPlanSteps=6&simLengths=plan:200,research:250,verify:40,synthesize:400`
const PROMPT = 'Compare three ways to store energy from solar panels for a village'

interface Sample {
  readonly firstTokenMs: number | null
  readonly fullMs: number
  readonly steps: number
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const stepsOf = (x: unknown): number => (x as { x_mindos?: { plan_steps?: unknown[] } } | undefined)?.x_mindos?.plan_steps?.length ?? 0

async function streamed(openai: OpenAI, prompt: string): Promise<Sample> {
  const t0 = performance.now()
  const stream = await openai.chat.completions.create({ model: 'mindos-swarm', stream: true, messages: [{ role: 'user', content: prompt }] })
  let firstTokenMs: number | null = null
  let steps = 0
  for await (const chunk of stream) {
    if (firstTokenMs === null && chunk.choices[0]?.delta.content) firstTokenMs = performance.now() - t0
    steps ||= stepsOf(chunk)
  }
  return { firstTokenMs, fullMs: performance.now() - t0, steps }
}

async function plain(openai: OpenAI, prompt: string): Promise<Sample> {
  const t0 = performance.now()
  const reply = await openai.chat.completions.create({ model: 'mindos-swarm', messages: [{ role: 'user', content: prompt }] })
  return { firstTokenMs: null, fullMs: performance.now() - t0, steps: stepsOf(reply) }
}

export async function benchApi(): Promise<string> {
  const server = await startSwarmServer({ port: 0, staticDir: distDir })
  const donor = runDonor(['--server', `${server.url}/`, '--room', `bench-api-${Date.now().toString(36)}`, '--tabs', String(TABS), '--engine', 'sim', '--api-port', '0', '--query', QUERY, '--timeout', '900'])
  try {
    const baseURL = await donor.apiUrl()
    for (let i = 1; i <= TABS; i++) await donor.waitFor(new RegExp(`^tab ${i} .*peers ${TABS - 1} .* ready `), 300_000)
    const openai = new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0, timeout: 900_000 })
    await streamed(openai, `${PROMPT} (warm-up)`) // first task pays for page JITs and mesh settling
    const s: Sample[] = []
    const p: Sample[] = []
    for (let i = 0; i < RUNS; i++) {
      s.push(await streamed(openai, `${PROMPT} (run ${i + 1}, streamed)`))
      p.push(await plain(openai, `${PROMPT} (run ${i + 1}, plain)`))
    }
    const first = median(s.map((x) => x.firstTokenMs ?? NaN))
    const fullS = median(s.map((x) => x.fullMs))
    const fullP = median(p.map((x) => x.fullMs))
    const steps = [...s, ...p].map((x) => x.steps).join('/')
    return [
      `Swarm API (official openai client → donor API → ${TABS} donor tabs, simulated engine at ${SIM_TPS} tok/s, ${QUERY.replace(/^simTps=\d+&/, '')}); medians of ${RUNS} runs after a warm-up, interleaved:`,
      `  plan steps per task (x_mindos): ${steps}`,
      '  request                         first token    full answer',
      `  stream: true                   ${(first / 1000).toFixed(1).padStart(9)} s  ${(fullS / 1000).toFixed(1).padStart(11)} s`,
      `  stream: false                  ${'-'.padStart(9)}    ${(fullP / 1000).toFixed(1).padStart(11)} s`,
      `  first token / full answer (streamed): ${(first / fullS).toFixed(2)}×   streamed / plain full answer: ${(fullS / fullP).toFixed(2)}×`,
    ].join('\n')
  } finally {
    await donor.stop()
    await server.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchApi().then(
    (table) => process.stdout.write(`${table}\n`),
    (err: unknown) => {
      process.stderr.write(`bench/api failed: ${err instanceof Error ? err.stack : String(err)}\n`)
      process.exit(1)
    },
  )
}
