/**
 * The tiny fixture model (scripts/tiny-model/build.ts) that the server always
 * serves at /models/tiny-fixture/, so `?engine=transformers&model=tiny-fixture`
 * works out of the box and offline. It is gitignored, so it is built on first
 * start, or again when the builder's sources are newer than the files.
 *
 * The build is CPU-bound for ~15 s and synchronous, so it runs in a child
 * process (the event loop keeps serving signaling meanwhile) into a
 * temporary folder, and its files are renamed into place with the weights
 * last: a half-built fixture is never served. Fixture requests that arrive
 * during the build wait for it (static.ts). Called by the CLI (index.ts) at
 * start, by server.ts on the first fixture request, and by the e2e setup.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { createLogger } from '../src/log'
import { REPO_ROOT, newestMtime } from './build-if-needed'

const log = createLogger('signal')

export const FIXTURE_DIR = path.join(REPO_ROOT, 'fixtures', 'tiny-fixture')
/** Everything transformers.js reads; the weights come last so their presence means "complete". */
export const FIXTURE_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_q4.onnx'] as const
const BUILDER = path.join(REPO_ROOT, 'scripts', 'tiny-model')

/** True when a file is missing or the builder changed after the oldest file was written. */
export async function isFixtureStale(dir: string = FIXTURE_DIR, builderDir: string = BUILDER): Promise<boolean> {
  const times = await Promise.all(FIXTURE_FILES.map((f) => newestMtime(path.join(dir, f))))
  if (times.some((t) => t === 0)) return true
  return (await newestMtime(builderDir)) > Math.min(...times)
}

export type FixtureOutcome = 'up-to-date' | 'built'

const inFlight = new Map<string, { promise: Promise<FixtureOutcome>; child: ChildProcess | null }>()

/** Builds the fixture into `dir` if it is missing or stale. Concurrent calls share one build. */
export function ensureTinyFixture(dir: string = FIXTURE_DIR): Promise<FixtureOutcome> {
  const running = inFlight.get(dir)
  if (running) return running.promise
  const entry: { promise: Promise<FixtureOutcome>; child: ChildProcess | null } = { promise: Promise.resolve('up-to-date'), child: null }
  entry.promise = (async (): Promise<FixtureOutcome> => {
    if (!(await isFixtureStale(dir))) return 'up-to-date'
    log.info('building tiny-fixture model (~15 s)', { dir })
    const started = Date.now()
    await mkdir(path.dirname(dir), { recursive: true })
    const tmp = await mkdtemp(path.join(path.dirname(dir), '.tiny-fixture-build-'))
    try {
      await runBuilder(tmp, (child) => (entry.child = child))
      await mkdir(path.join(dir, 'onnx'), { recursive: true })
      for (const f of FIXTURE_FILES) await rename(path.join(tmp, f), path.join(dir, f))
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
    log.info(`tiny-fixture model ready in ${((Date.now() - started) / 1000).toFixed(1)} s`, { dir })
    return 'built'
  })().finally(() => inFlight.delete(dir))
  inFlight.set(dir, entry)
  return entry.promise
}

let cancelling = false

/** Stops builds in progress (CLI shutdown): they reject with a FixtureBuildCancelled error and nothing is moved into place. */
export function cancelFixtureBuilds(): void {
  cancelling = true
  for (const { child } of inFlight.values()) child?.kill('SIGTERM')
}

function runBuilder(outDir: string, onChild: (c: ChildProcess) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    // `node --import tsx` runs the TypeScript builder as `npx tsx` would, without a shell.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(BUILDER, 'build.ts'), outDir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    onChild(child)
    let output = ''
    const keep = (d: Buffer): void => void (output = (output + d.toString()).slice(-4_000))
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      if (code === 0) return resolve()
      const err = new Error(`tiny-fixture build failed (${signal ?? `exit ${code}`}): ${output.trim().slice(-1_000)}`)
      if (cancelling) err.name = 'FixtureBuildCancelled'
      reject(err)
    })
  })
}
