/**
 * CLI entry: `tsx signaling-server/index.ts [--port N] [--host H] [--models DIR] [--no-build]`.
 * Builds the app if `dist/` is stale, serves it plus signaling on one port,
 * builds the tiny fixture model in the background if it is missing, and
 * prints where to go. Exit codes: 0 after SIGINT/SIGTERM, 2 for unusable
 * flags or environment, 1 for anything else (e.g. the port is taken).
 */
import { randomInt } from 'node:crypto'
import { statSync } from 'node:fs'
import path from 'node:path'
import { ConfigError } from '../src/errors'
import { createLogger } from '../src/log'
import { generateRoomName } from '../src/mesh/names'
import { REPO_ROOT, buildIfNeeded } from './build-if-needed'
import { USAGE, parseCliArgs } from './cli-args'
import type { CliOptions } from './cli-args'
import { startSwarmServer } from './server'
import { cancelFixtureBuilds, ensureTinyFixture } from './tiny-fixture'

const log = createLogger('signal')

/** The same readable names the page uses, drawn from a cryptographic source: room names are guessable otherwise. */
function randomRoomName(): string {
  return generateRoomName({ next: () => randomInt(2 ** 32) / 2 ** 32 })
}

function readOptions(): CliOptions {
  const cli = parseCliArgs(process.argv.slice(2), process.env)
  if (cli.modelsDir !== undefined) {
    const isDir = (() => {
      try {
        return statSync(cli.modelsDir).isDirectory()
      } catch {
        return false
      }
    })()
    if (!isDir) throw new ConfigError(`--models: "${cli.modelsDir}" is not a directory`)
  }
  return cli
}

async function main(): Promise<void> {
  let cli: CliOptions
  try {
    cli = readOptions()
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`error: ${err.message}\n\n${USAGE}`)
    process.exit(2)
  }
  if (cli.help) return void process.stdout.write(USAGE)
  if (cli.build) await buildIfNeeded()
  // In the background: signaling and the app are served meanwhile; fixture requests wait for it.
  ensureTinyFixture().catch((err: unknown) => {
    if (!(err instanceof Error && err.name === 'FixtureBuildCancelled')) log.error('tiny-fixture build failed; /models/tiny-fixture/ answers 503', { error: String(err) })
  })

  const server = await startSwarmServer({
    port: cli.port,
    host: cli.host,
    staticDir: path.join(REPO_ROOT, 'dist'),
    ...(cli.modelsDir !== undefined ? { modelsDir: path.resolve(cli.modelsDir) } : {}),
  })
  // The banner is the CLI's output, not a log line: it goes to stdout as is.
  process.stdout.write(
    [
      `MindOS Swarm is running.`,
      `  open:      ${server.url}/`,
      `  new room:  ${server.url}/#room=${randomRoomName()}`,
      `  health:    ${server.url}/healthz`,
      `  signaling: ${server.signalingUrl}`,
      ...(cli.modelsDir !== undefined ? [`  models:    ${server.url}/models/`] : []),
      `  fixture:   ${server.url}/models/tiny-fixture/  (test model: ?engine=transformers&device=wasm&model=tiny-fixture)`,
      '',
    ].join('\n'),
  )

  const shutdown = (signal: string): void => {
    log.info('shutting down', { signal })
    cancelFixtureBuilds()
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', () => shutdown('SIGINT'))
  process.once('SIGTERM', () => shutdown('SIGTERM'))
}

main().catch((err: unknown) => {
  const code = (err as { code?: unknown }).code
  const hint = code === 'EADDRINUSE' ? ' (the port is taken: pass --port N, or --port 0 for any free port)' : ''
  log.error(`failed to start${hint}`, { error: String(err) })
  process.exit(1)
})
