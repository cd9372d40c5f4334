/**
 * `npm run donor -- [flags]`: pure parsing and validation of the command
 * line. Every bad value is a ConfigError whose message is the one line the
 * CLI prints.
 */
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError } from '../src/errors'

export const ENGINES = ['webllm', 'transformers', 'sim'] as const
export type Engine = (typeof ENGINES)[number]
const ROLES = ['planner', 'researcher', 'verifier', 'synthesizer'] as const
const ROOM_RE = /^[A-Za-z0-9._-]{1,64}$/
const MAX_TABS = 16
/** Query keys the donor sets itself; `--query` may not override them. */
const RESERVED_QUERY = ['donor', 'engine', 'model', 'device', 'autoload']

export interface DonorOptions {
  readonly server: URL
  readonly room: string
  readonly key?: string
  readonly tabs: number
  /** Absent: the page chooses, as for a person's tab (WebLLM, or transformers.js without WebGPU). */
  readonly engine?: Engine
  readonly model?: string
  readonly device?: 'webgpu' | 'wasm'
  readonly webgpu: boolean
  readonly roles?: readonly string[]
  /** Extra query parameters for every tab (e.g. `simTps=50&seed=3`). */
  readonly query: ReadonlyArray<readonly [string, string]>
  readonly api?: { readonly port: number; readonly host: string; readonly key?: string; readonly timeoutMs: number }
  readonly dataDir: string
  readonly chromium: string
}

export const USAGE = `usage: npm run donor -- [--server URL] [--room ROOM] [--key SECRET] [--tabs N]
       [--engine webllm|transformers|sim] [--model ID] [--device webgpu|wasm] [--webgpu]
       [--roles planner,researcher,verifier,synthesizer] [--query 'simTps=50&seed=3']
       [--api-port PORT] [--api-host HOST] [--api-key KEY] [--timeout SECONDS] [--data DIR]`

const OPTIONS = {
  server: { type: 'string' },
  room: { type: 'string' },
  key: { type: 'string' },
  tabs: { type: 'string' },
  engine: { type: 'string' },
  model: { type: 'string' },
  device: { type: 'string' },
  webgpu: { type: 'boolean' },
  roles: { type: 'string' },
  query: { type: 'string' },
  'api-port': { type: 'string' },
  'api-host': { type: 'string' },
  'api-key': { type: 'string' },
  timeout: { type: 'string' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export type ParsedArgs = { readonly help: true } | { readonly help: false; readonly options: DonorOptions }

function int(raw: string, flag: string, min: number, max: number): number {
  const n = Number(raw)
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new ConfigError(`--${flag} must be an integer from ${min} to ${max} (got "${raw}")`)
  return n
}

/** `env` supplies CHROMIUM_PATH and HOME-based defaults; tests pass their own. */
export function parseDonorArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): ParsedArgs {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new ConfigError(`${(err as Error).message.split('\n')[0]} (see --help)`)
  }
  if (values.help) return { help: true }
  const str = (k: keyof typeof OPTIONS): string | undefined => {
    const v = values[k]
    if (typeof v !== 'string') return undefined
    if (v.trim() === '') throw new ConfigError(`--${k} needs a value`)
    return v.trim()
  }

  const serverRaw = str('server') ?? 'http://127.0.0.1:8787/'
  let server: URL
  try {
    server = new URL(serverRaw)
  } catch {
    throw new ConfigError(`--server "${serverRaw}" is not a URL (e.g. http://127.0.0.1:8787/)`)
  }
  if (server.protocol !== 'http:' && server.protocol !== 'https:') throw new ConfigError(`--server must be an http:// or https:// URL (got "${serverRaw}")`)
  if (server.hash || server.search) throw new ConfigError('--server takes the server address only; use --room, --key and --query for the rest')

  const room = str('room') ?? 'lobby'
  if (!ROOM_RE.test(room)) throw new ConfigError(`--room "${room}" must be 1–64 of A-Z a-z 0-9 . _ -`)

  const engineRaw = str('engine')
  if (engineRaw !== undefined && !(ENGINES as readonly string[]).includes(engineRaw)) throw new ConfigError(`--engine must be one of ${ENGINES.join(', ')} (got "${engineRaw}")`)
  const engine = engineRaw as Engine | undefined
  const deviceRaw = str('device')
  if (deviceRaw !== undefined && deviceRaw !== 'webgpu' && deviceRaw !== 'wasm') throw new ConfigError(`--device must be webgpu or wasm (got "${deviceRaw}")`)
  if (deviceRaw !== undefined && engine !== 'transformers') throw new ConfigError('--device applies to --engine transformers only')

  const rolesRaw = str('roles')
  const roles = rolesRaw?.split(',').map((r) => r.trim())
  for (const r of roles ?? []) if (!(ROLES as readonly string[]).includes(r)) throw new ConfigError(`--roles: unknown role "${r}" (use ${ROLES.join(', ')})`)

  const query: [string, string][] = []
  const queryRaw = str('query')
  if (queryRaw !== undefined) {
    for (const [k, v] of new URLSearchParams(queryRaw.replace(/^\?/, ''))) {
      if (RESERVED_QUERY.includes(k)) throw new ConfigError(`--query may not set "${k}"; use its own flag`)
      query.push([k, v])
    }
  }

  const apiPortRaw = str('api-port')
  const timeoutS = int(str('timeout') ?? '300', 'timeout', 1, 86_400)
  for (const k of ['api-host', 'api-key'] as const) if (values[k] !== undefined && apiPortRaw === undefined) throw new ConfigError(`--${k} needs --api-port`)
  const apiKey = str('api-key')
  const key = str('key')
  const model = str('model')

  return {
    help: false,
    options: {
      server,
      room,
      ...(key !== undefined ? { key } : {}),
      tabs: int(str('tabs') ?? '1', 'tabs', 1, MAX_TABS),
      ...(engine !== undefined ? { engine } : {}),
      ...(model !== undefined ? { model } : {}),
      ...(deviceRaw !== undefined ? { device: deviceRaw } : {}),
      webgpu: values.webgpu === true,
      ...(roles !== undefined ? { roles } : {}),
      query,
      ...(apiPortRaw !== undefined
        ? { api: { port: int(apiPortRaw, 'api-port', 0, 65_535), host: str('api-host') ?? '127.0.0.1', ...(apiKey !== undefined ? { key: apiKey } : {}), timeoutMs: timeoutS * 1000 } }
        : {}),
      dataDir: path.resolve(str('data') ?? path.join(env.HOME ?? os.homedir(), '.mindos-donor')),
      chromium: env.CHROMIUM_PATH?.trim() || '/usr/bin/chromium',
    },
  }
}

/** The page a tab opens: the app with the donor flag, engine settings in the query and the room in the fragment. */
export function tabUrl(o: DonorOptions): string {
  const url = new URL(o.server.href)
  const q = new URLSearchParams()
  q.set('donor', '1')
  if (o.engine) q.set('engine', o.engine)
  if (o.model) q.set('model', o.model)
  if (o.device) q.set('device', o.device)
  q.set('autoload', '1') // a donor loads its model without anyone pressing Load
  for (const [k, v] of o.query) q.append(k, v)
  url.search = q.toString()
  const fragment = new URLSearchParams()
  fragment.set('room', o.room)
  if (o.key) fragment.set('key', o.key)
  url.hash = fragment.toString()
  return url.href
}
