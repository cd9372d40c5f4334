/**
 * Command-line and environment parsing for index.ts, kept apart from the
 * entry point so it is tested without starting a process. Flags win over the
 * environment; anything unusable is a ConfigError, which the CLI turns into a
 * one-line message and exit code 2.
 */
import { parseArgs } from 'node:util'
import { ConfigError } from '../src/errors'

/** Matches the `SIGNAL_PORT` default the Vite dev proxy (vite.config.ts) forwards to. */
export const DEFAULT_PORT = 8787
export const DEFAULT_HOST = '127.0.0.1'

export const USAGE = `Usage: tsx signaling-server/index.ts [--port N] [--host H] [--models DIR] [--no-build]

  --port N        port to listen on (0 = any free port; env PORT; default ${DEFAULT_PORT})
  --host H        address to bind (env HOST; default ${DEFAULT_HOST}; 0.0.0.0 exposes it)
  --models DIR    serve DIR at /models/ as a model mirror
  --no-build      serve dist/ as it is, without building it first
  --help          show this text
`

export interface CliOptions {
  readonly port: number
  readonly host: string
  readonly modelsDir?: string
  readonly build: boolean
  readonly help: boolean
}

export function parsePort(value: string, source: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN
  if (!(port >= 0 && port <= 65535)) {
    throw new ConfigError(`${source} must be an integer from 0 to 65535, got "${value}"`)
  }
  return port
}

function parseHost(value: string, source: string): string {
  if (value === '' || /[\s/]/.test(value)) throw new ConfigError(`${source} must be a hostname or IP address, got "${value}"`)
  return value
}

/** Flag if given, else the environment variable if set and non-empty, else the default. */
function pick<T>(
  flag: string | undefined,
  flagName: string,
  envValue: string | undefined,
  envName: string,
  parse: (value: string, source: string) => T,
  fallback: T,
): T {
  if (flag !== undefined) return parse(flag, flagName)
  if (envValue !== undefined && envValue !== '') return parse(envValue, envName)
  return fallback
}

export function parseCliArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliOptions {
  let values
  try {
    ;({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        models: { type: 'string' },
        'no-build': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }))
  } catch (err) {
    // parseArgs throws TypeErrors for unknown flags and missing values.
    throw new ConfigError(err instanceof Error ? err.message : String(err))
  }
  const port = pick(values.port, '--port', env.PORT, 'PORT', parsePort, DEFAULT_PORT)
  const host = pick(values.host, '--host', env.HOST, 'HOST', parseHost, DEFAULT_HOST)
  if (values.models === '') throw new ConfigError('--models needs a directory')
  return {
    port,
    host,
    ...(values.models !== undefined ? { modelsDir: values.models } : {}),
    build: !values['no-build'],
    help: values.help === true,
  }
}
