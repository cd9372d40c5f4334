/**
 * CLI entry: `tsx signaling-server/index.ts [--port N] [--host H] [--models DIR] [--no-build] [--https …]`.
 * Builds the app if `dist/` is stale, serves it plus signaling on one port,
 * builds the tiny fixture model in the background if it is missing, and
 * prints where to go. Exit codes: 0 after SIGINT/SIGTERM, 2 for unusable
 * flags or environment, 1 for anything else (e.g. the port is taken).
 */
import { randomInt } from 'node:crypto'
import { statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ConfigError } from '../src/errors'
import { createLogger } from '../src/log'
import { generateRoomName } from '../src/mesh/names'
import { REPO_ROOT, buildIfNeeded } from './build-if-needed'
import { USAGE, parseCliArgs } from './cli-args'
import type { CliOptions } from './cli-args'
import { startSwarmServer } from './server'
import { cancelFixtureBuilds, ensureTinyFixture } from './tiny-fixture'
import { loadOrCreateSelfSigned, loadProvidedCert, localNames, type TlsMaterial } from './tls'

const log = createLogger('signal')

/** The same readable names the page uses, drawn from a cryptographic source: room names are guessable otherwise. */
function randomRoomName(): string {
  return generateRoomName({ next: () => randomInt(2 ** 32) / 2 ** 32 })
}

async function readTls(cli: CliOptions): Promise<(TlsMaterial & { renewed?: string }) | undefined> {
  if (!cli.tls) return undefined
  if (cli.tls.kind === 'provided') return loadProvidedCert(cli.tls.certFile, cli.tls.keyFile)
  return loadOrCreateSelfSigned({ dataDir: path.resolve(cli.tls.dataDir), names: localNames(cli.host) })
}

/** Addresses other devices can open when the server listens on every interface. */
function lanUrls(scheme: string, host: string, port: number): string[] {
  if (host !== '0.0.0.0' && host !== '::') return []
  const out: string[] = []
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') out.push(`${scheme}://${a.address}:${port}/`)
  }
  return out
}

function tlsLines(tls: TlsMaterial & { renewed?: string }, origin: string): string[] {
  const show = (file: string): string => {
    const rel = path.relative(process.cwd(), file)
    return rel && !rel.startsWith('..') ? rel : file
  }
  if (!tls.ca) return [`  certificate: ${show(tls.certPath)} (valid until ${tls.validTo})`, `  SHA-256:   ${tls.fingerprint256}`]
  return [
    `  certificate: issued by this server's local CA, ${tls.source === 'generated' ? 'issued now' : 'kept from an earlier start'} (valid until ${tls.validTo})`,
    ...(tls.renewed ? [`               ${tls.renewed}; devices that trust the CA need do nothing`] : []),
    `  SHA-256:   ${tls.fingerprint256}`,
    `  local CA:  ${show(tls.ca.path)}, SHA-256 ${tls.ca.fingerprint256}`,
    `  trust it:  install ${new URL('/ca.pem', origin).href} on each device, compare its SHA-256 with the line above (README: "HTTPS for devices on the LAN")`,
  ]
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
  let tls: Awaited<ReturnType<typeof readTls>>
  try {
    tls = await readTls(cli)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`error: ${err.message}\n`)
    process.exit(2)
  }
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
    // The chain includes the local CA so a device that trusts it can build the path by itself.
    ...(tls ? { tls: { cert: tls.ca ? `${tls.cert.trim()}\n${tls.ca.cert}` : tls.cert, key: tls.key } } : {}),
    ...(tls?.ca ? { caCert: tls.ca.cert } : {}),
  })
  const lan = lanUrls(tls ? 'https' : 'http', cli.host, server.port)
  // The banner is the CLI's output, not a log line: it goes to stdout as is.
  process.stdout.write(
    [
      `MindOS Swarm is running.`,
      `  open:      ${server.url}/`,
      ...lan.map((u) => `  LAN:       ${u}`),
      `  new room:  ${server.url}/#room=${randomRoomName()}`,
      `  health:    ${server.url}/healthz`,
      `  signaling: ${server.signalingUrl}`,
      ...(cli.modelsDir !== undefined ? [`  models:    ${server.url}/models/`] : []),
      `  fixture:   ${server.url}/models/tiny-fixture/  (test model: ?engine=transformers&device=wasm&model=tiny-fixture)`,
      ...(tls ? tlsLines(tls, lan[0] ?? `${server.url}/`) : []),
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
