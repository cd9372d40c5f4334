/**
 * `npm run donor -- [flags]` (flags: donor/args.ts): headless Chromium tabs
 * that join a room as real nodes, and optionally the OpenAI-compatible API
 * into that room. Bad input (a flag, an unreachable server, no Chromium)
 * ends with one line on stderr and a non-zero exit; SIGINT/SIGTERM stop
 * every browser before exiting.
 */
import { accessSync, constants, mkdirSync } from 'node:fs'
import { systemClock } from '../src/clock'
import { ConfigError } from '../src/errors'
import { onLog, setLogLevel } from '../src/log'
import { startApiServer, type ApiServer } from './api/server'
import { MODEL_ID } from './api/openai-protocol'
import { USAGE, parseDonorArgs, tabUrl, type DonorOptions } from './args'
import { chromiumFlags } from './chromium'
import { StatusDisplay } from './status-line'
import { Supervisor } from './supervisor'

const HEALTH_TIMEOUT_MS = 5_000

class StartupError extends Error {
  override readonly name = 'StartupError'
}

function fail(message: string, code = 1): never {
  process.stderr.write(`donor: ${message}\n`)
  process.exit(code)
}

function checkChromium(o: DonorOptions): void {
  try {
    accessSync(o.chromium, constants.X_OK)
  } catch {
    throw new StartupError(`Chromium not found or not executable at ${o.chromium} (install Debian's chromium, or set CHROMIUM_PATH)`)
  }
}

async function checkServer(o: DonorOptions): Promise<void> {
  const url = new URL('healthz', o.server)
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) })
  } catch (err) {
    const c = (err as { cause?: { code?: string; message?: string } }).cause
    const cause = c?.code ?? c?.message ?? (err as Error).message
    throw new StartupError(`cannot reach the MindOS server at ${o.server.href} (${url.href}: ${cause}); start it with \`npm start\` or pass --server`)
  }
  const body = (await res.json().catch(() => null)) as { status?: unknown } | null
  if (!res.ok || body?.status !== 'ok') throw new StartupError(`${url.href} answered ${res.status} without {"status":"ok"}: is ${o.server.href} a MindOS server?`)
}

async function main(): Promise<void> {
  let options: DonorOptions
  try {
    const parsed = parseDonorArgs(process.argv.slice(2))
    if (parsed.help) {
      process.stdout.write(`${USAGE}\n`)
      return
    }
    options = parsed.options
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2)
    throw err
  }
  try {
    checkChromium(options)
    await checkServer(options)
    mkdirSync(options.dataDir, { recursive: true })
  } catch (err) {
    if (err instanceof StartupError) fail(err.message)
    fail(err instanceof Error ? err.message : String(err))
  }

  const display = new StatusDisplay(process.stdout)
  // Our own modules log through src/log; show info and warnings above the status lines, errors on stderr.
  setLogLevel('error')
  onLog((e) => {
    if (e.level === 'info' || e.level === 'warn') display.log(`[${e.namespace}] ${e.level === 'warn' ? 'warning: ' : ''}${e.message}`)
  })

  const supervisor = new Supervisor({
    tabs: options.tabs,
    room: options.room,
    dataDir: options.dataDir,
    clock: systemClock,
    tab: {
      url: tabUrl(options),
      chromium: options.chromium,
      flags: chromiumFlags(options.webgpu, process.env.DONOR_CHROMIUM_FLAGS),
      ...(options.roles ? { roles: options.roles } : {}),
    },
  })

  let api: ApiServer | null = null
  if (options.api) {
    try {
      api = await startApiServer({ gateway: supervisor, host: options.api.host, port: options.api.port, timeoutMs: options.api.timeoutMs, ...(options.api.key !== undefined ? { apiKey: options.api.key } : {}) })
    } catch (err) {
      fail(`cannot listen on ${options.api.host}:${options.api.port} for the API (${(err as { code?: string }).code ?? String(err)})`)
    }
  }

  display.log(`MindOS donor: ${options.tabs} tab${options.tabs > 1 ? 's' : ''} in room "${options.room}" on ${options.server.href} (engine ${options.engine ?? 'automatic'}${options.webgpu ? ', WebGPU' : ''}; profiles in ${options.dataDir})`)
  if (api) display.log(`API: ${api.url} (model ${MODEL_ID}${options.api?.key ? ', key required' : ''})`)
  if (options.api && !options.api.key && !/^(127\.|localhost$|::1$)/.test(options.api.host)) {
    display.log(`warning: the API listens on ${options.api.host} without --api-key: anyone who can reach it can put tasks on the board`)
  }

  let pending = false
  supervisor.onChange(() => {
    if (pending) return
    pending = true
    setTimeout(() => {
      pending = false
      display.update(supervisor.views())
    }, 100)
  })
  supervisor.start()

  let stoppingSince = 0
  const stop = (signal: string): void => {
    if (stoppingSince > 0) {
      // `npm run` / tsx relay the terminal's Ctrl-C, so one keypress can arrive twice: only a later one forces the exit.
      if (Date.now() - stoppingSince < 1_500) return
      process.stderr.write(`donor: ${signal} again, exiting without waiting\n`)
      process.exit(130)
    }
    stoppingSince = Date.now()
    display.log(`${signal}: stopping every browser…`)
    void (async () => {
      await api?.close()
      await supervisor.stop()
      display.update(supervisor.views())
      display.finish()
      display.log('donor stopped')
      process.exit(0)
    })()
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGHUP', () => stop('SIGHUP'))
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)))
