/**
 * Runs `donor/cli.ts` as a child process, the way `npm run donor` does, with
 * its own data dir under a temp dir; waits on its output lines (events, not
 * time) and stops it with SIGTERM. Used by tests/e2e/donor.spec.ts and
 * bench/api.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { repoRoot } from './harness'

export interface DonorProcess {
  readonly child: ChildProcess
  readonly dataDir: string
  readonly output: string[]
  /** Resolves with the first line (already printed or to come) matching `re`; rejects on exit or timeout. */
  waitFor(re: RegExp, timeoutMs?: number, from?: number): Promise<RegExpMatchArray>
  /** The API's base URL (…/v1), once it has printed it. */
  apiUrl(): Promise<string>
  /** SIGTERM, then waits for the exit code. Removes the data dir unless `keepData`. */
  stop(keepData?: boolean): Promise<number | null>
  exited: Promise<number | null>
}

export function runDonor(args: readonly string[], env: Record<string, string> = {}, dataDir = mkdtempSync(path.join(os.tmpdir(), 'mindos-donor-'))): DonorProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'donor/cli.ts', '--data', dataDir, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const waiters = new Set<() => void>()
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let gone = false
  void exited.then(() => {
    gone = true
    for (const w of waiters) w()
  })
  const collect = (stream: NodeJS.ReadableStream, prefix: string): void => {
    let rest = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines) output.push(prefix + line)
      for (const w of waiters) w()
    })
  }
  collect(child.stdout!, '')
  collect(child.stderr!, 'stderr: ')

  const waitFor = (re: RegExp, timeoutMs = 120_000, from = 0): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        for (const line of output.slice(from)) {
          const m = line.match(re)
          if (m) return done(() => resolve(m))
        }
        if (gone) done(() => reject(new Error(`donor exited before printing ${re}; output:\n${output.join('\n')}`)))
      }
      const timer = setTimeout(() => done(() => reject(new Error(`donor did not print ${re} within ${timeoutMs} ms; output:\n${output.slice(-40).join('\n')}`))), timeoutMs)
      const done = (fn: () => void): void => {
        clearTimeout(timer)
        waiters.delete(check)
        fn()
      }
      waiters.add(check)
      check()
    })

  return {
    child,
    dataDir,
    output,
    waitFor,
    exited,
    apiUrl: async () => (await waitFor(/^API: (http:\/\/\S+\/v1)/))[1]!,
    stop: async (keepData = false) => {
      if (!gone) child.kill('SIGTERM')
      const code = await exited
      if (!keepData) rmSync(dataDir, { recursive: true, force: true })
      return code
    },
  }
}
