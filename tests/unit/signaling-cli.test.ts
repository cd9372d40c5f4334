/**
 * The CLI: flag/env parsing, the build-if-stale check (including one real,
 * tiny Vite build), and the entry point as a real process: exit code 2 on bad
 * input, banner + health on start, exit 0 on SIGTERM.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors'
import { buildIfNeeded, isBuildStale } from '../../signaling-server/build-if-needed'
import { DEFAULT_PORT, parseCliArgs } from '../../signaling-server/cli-args'
import { REPO_ROOT, httpRequest, withTimeout } from './signaling-harness'

describe('parseCliArgs', () => {
  it('uses defaults, then env, then flags', () => {
    expect(parseCliArgs([], {})).toEqual({ port: DEFAULT_PORT, host: '127.0.0.1', build: true, help: false })
    expect(parseCliArgs([], { PORT: '9000', HOST: '0.0.0.0' })).toMatchObject({ port: 9000, host: '0.0.0.0' })
    expect(parseCliArgs(['--port', '0', '--host', '::1', '--models', 'm', '--no-build'], { PORT: '9000', HOST: 'x' })).toEqual({
      port: 0,
      host: '::1',
      modelsDir: 'm',
      build: false,
      help: false,
    })
  })

  it.each([
    [['--port', 'abc'], {}, /--port must be an integer/],
    [['--port', '65536'], {}, /--port/],
    [['--port', '-1'], {}, /--port/],
    [['--port', '80.5'], {}, /--port/],
    [[], { PORT: 'http' }, /PORT must be an integer/],
    [['--host', 'a b'], {}, /--host/],
    [['--models', ''], {}, /--models/],
    [['--bogus'], {}, /bogus/],
    [['stray'], {}, /stray/],
  ])('rejects %j %j', (argv, env, message) => {
    expect(() => parseCliArgs(argv, env)).toThrow(ConfigError)
    expect(() => parseCliArgs(argv, env)).toThrow(message)
  })
})

function tempRepo(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'swarm-build-'))
  mkdirSync(path.join(root, 'src'))
  writeFileSync(path.join(root, 'src', 'app.ts'), 'export {}')
  return root
}

function setMtime(file: string, seconds: number): void {
  utimesSync(file, seconds, seconds)
}

describe('build if needed', () => {
  it('is stale without dist/index.html, fresh after, stale again when a source changes', async () => {
    const root = tempRepo()
    expect(await isBuildStale(root)).toBe(true)
    mkdirSync(path.join(root, 'dist'))
    writeFileSync(path.join(root, 'dist', 'index.html'), '')
    setMtime(path.join(root, 'src', 'app.ts'), 1_000)
    setMtime(path.join(root, 'dist', 'index.html'), 2_000)
    expect(await isBuildStale(root)).toBe(false)
    mkdirSync(path.join(root, 'workers', 'deep'), { recursive: true })
    writeFileSync(path.join(root, 'workers', 'deep', 'w.ts'), '')
    setMtime(path.join(root, 'workers', 'deep', 'w.ts'), 3_000)
    expect(await isBuildStale(root)).toBe(true)
  })

  it('skips a repo without index.html, and builds a real one with Vite', async () => {
    const root = tempRepo()
    expect(await buildIfNeeded({ repoRoot: root })).toBe('no-app')
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>t</title><script type="module" src="/src/app.ts"></script>')
    expect(await buildIfNeeded({ repoRoot: root })).toBe('built')
    expect(await isBuildStale(root)).toBe(false)
    expect(await buildIfNeeded({ repoRoot: root })).toBe('up-to-date')
  }, 60_000)
})

function runCli(args: string[]): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; stdout: () => string; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'signaling-server/index.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '', HOST: '' },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  )
  return { done, stdout: () => stdout, kill: (s) => void child.kill(s) }
}

describe('CLI process', () => {
  it.each([
    [['--port', 'abc'], /--port must be an integer/],
    [['--models', '/definitely/not/here', '--no-build'], /is not a directory/],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const { code, stderr } = await withTimeout(runCli(args).done, 'the CLI to exit', 20_000)
    expect(code).toBe(2)
    expect(stderr).toMatch(message)
    expect(stderr).toContain('Usage:')
  }, 30_000)

  it('prints the URLs, serves health, and exits 0 on SIGTERM', async () => {
    const cli = runCli(['--port', '0', '--no-build'])
    const deadline = Date.now() + 20_000
    while (!/health: +(\S+)/.test(cli.stdout())) {
      if (Date.now() > deadline) throw new Error(`no banner: ${cli.stdout()}`)
      await new Promise((r) => setTimeout(r, 20))
    }
    const out = cli.stdout()
    expect(out).toMatch(/new room: +http:\/\/127\.0\.0\.1:\d+\/#room=[a-z]+-[a-z]+-[0-9a-z]{6}\n/)
    const healthUrl = new URL(/health: +(\S+)/.exec(out)?.[1] ?? '')
    const res = await httpRequest(Number(healthUrl.port), healthUrl.pathname)
    expect(JSON.parse(res.body.toString())).toMatchObject({ status: 'ok' })
    cli.kill('SIGTERM')
    expect((await withTimeout(cli.done, 'the CLI to exit', 10_000)).code).toBe(0)
  }, 30_000)
})
