/**
 * Builds the app with Vite when `dist/` is missing or older than its sources.
 * Called by the CLI (index.ts) before it serves `dist/`, and by the e2e global
 * setup, so `tsx signaling-server/index.ts` on a fresh checkout just works and
 * a stale build is never served by accident.
 */
import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLogger } from '../src/log'

const log = createLogger('signal')

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** What a build reads; a change to any of them makes `dist/` stale. */
export const BUILD_INPUTS = ['src', 'workers', 'public', 'index.html', 'vite.config.ts'] as const

/** Newest modification time (ms) of a file or, recursively, a directory's files; 0 if absent. */
export async function newestMtime(target: string): Promise<number> {
  let info
  try {
    info = await stat(target)
  } catch {
    return 0
  }
  if (!info.isDirectory()) return info.mtimeMs
  const entries = await readdir(target)
  const times = await Promise.all(entries.map((name) => newestMtime(path.join(target, name))))
  return Math.max(0, ...times)
}

/** True when `dist/index.html` is missing or older than the newest build input. */
export async function isBuildStale(repoRoot: string = REPO_ROOT): Promise<boolean> {
  const built = await newestMtime(path.join(repoRoot, 'dist', 'index.html'))
  if (built === 0) return true
  const inputs = await Promise.all(BUILD_INPUTS.map((p) => newestMtime(path.join(repoRoot, p))))
  return Math.max(...inputs) > built
}

export interface BuildIfNeededOptions {
  readonly repoRoot?: string
  /** Build even if `dist/` looks fresh (CI, where mtimes from a checkout mean little). */
  readonly force?: boolean
}

export type BuildOutcome = 'built' | 'up-to-date' | 'no-app'

export async function buildIfNeeded({ repoRoot = REPO_ROOT, force = false }: BuildIfNeededOptions = {}): Promise<BuildOutcome> {
  if ((await newestMtime(path.join(repoRoot, 'index.html'))) === 0) {
    // Nothing Vite could build; the server still signals and serves /models/.
    log.warn('no index.html at the repo root: nothing to build', { repoRoot })
    return 'no-app'
  }
  if (!force && !(await isBuildStale(repoRoot))) return 'up-to-date'
  log.info('building the app with Vite', { repoRoot })
  // Imported lazily: serving a fresh build should not pay for loading Vite.
  const { build } = await import('vite')
  // With `root` set, Vite finds vite.config.ts there if it exists, else uses defaults.
  await build({ root: repoRoot, logLevel: 'warn' })
  return 'built'
}
