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

/** Where the self-signed certificate is kept (DIR/tls/), relative to the working directory. */
export const DEFAULT_DATA_DIR = '.cache'

export const USAGE = `Usage: tsx signaling-server/index.ts [--port N] [--host H] [--models DIR] [--no-build]
                                     [--https [--data DIR] | --cert FILE --key FILE]

  --port N        port to listen on (0 = any free port; env PORT; default ${DEFAULT_PORT})
  --host H        address to bind (env HOST; default ${DEFAULT_HOST}; 0.0.0.0 exposes it)
  --models DIR    serve DIR at /models/ as a model mirror
  --no-build      serve dist/ as it is, without building it first
  --https         serve HTTPS (and wss://) on the same port, with a self-signed
                  certificate generated once and kept in DIR/tls/
  --data DIR      data dir for the kept certificate (default ${DEFAULT_DATA_DIR})
  --cert FILE     a real certificate (PEM) instead; implies --https, needs --key
  --key FILE      the certificate's private key (PEM)
  --help          show this text
`

export interface CliOptions {
  readonly port: number
  readonly host: string
  readonly modelsDir?: string
  readonly build: boolean
  readonly help: boolean
  /** Absent: plain HTTP. */
  readonly tls?: { readonly kind: 'self-signed'; readonly dataDir: string } | { readonly kind: 'provided'; readonly certFile: string; readonly keyFile: string }
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
        https: { type: 'boolean', default: false },
        data: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
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
  const tls = parseTls(values)
  return {
    port,
    host,
    ...(values.models !== undefined ? { modelsDir: values.models } : {}),
    build: !values['no-build'],
    help: values.help === true,
    ...(tls ? { tls } : {}),
  }
}

function parseTls(v: { https?: boolean; data?: string; cert?: string; key?: string }): CliOptions['tls'] {
  for (const flag of ['data', 'cert', 'key'] as const) if (v[flag] === '') throw new ConfigError(`--${flag} needs a ${flag === 'data' ? 'directory' : 'file'}`)
  if ((v.cert === undefined) !== (v.key === undefined)) throw new ConfigError('--cert and --key go together: pass both, or neither (then --https makes a self-signed certificate)')
  if (v.cert !== undefined && v.key !== undefined) {
    if (v.data !== undefined) throw new ConfigError('--data is for the self-signed certificate; with --cert and --key it is not used')
    return { kind: 'provided', certFile: v.cert, keyFile: v.key }
  }
  if (v.data !== undefined && !v.https) throw new ConfigError('--data keeps the --https certificate: pass --https too')
  return v.https ? { kind: 'self-signed', dataDir: v.data ?? DEFAULT_DATA_DIR } : undefined
}
