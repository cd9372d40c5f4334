/**
 * Static file serving for the built app (`dist/`), an optional model mirror
 * mounted at `/models/`, and the tiny fixture model at `/models/tiny-fixture/`. Every file is streamed (model shards are hundreds of
 * MB) and single `Range` requests are honoured, because web-llm and browsers
 * resume large downloads with them.
 *
 * Paths are decoded once and then must resolve inside the mount's root;
 * anything else (`..`, `%2e%2e`, encoded slashes, NUL) is a 404, so a probe
 * learns nothing about the filesystem outside the mount.
 */
import { createReadStream } from 'node:fs'
import type { Stats } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import { pipeline } from 'node:stream'

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.bin': 'application/octet-stream',
}

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream'
}

interface Mount {
  readonly root: string
  /** The model mirror is fetched cross-origin by apps hosted elsewhere. */
  readonly cors: boolean
  /** `relative` is the file's path inside `root`. */
  cacheControl(relative: string): string
}

function appCacheControl(relative: string): string {
  // Vite puts content-hashed files under assets/: they never change under one name.
  // Everything else (index.html above all) must be revalidated so deploys show up.
  if (relative.startsWith('assets' + path.sep) && !relative.endsWith('.html')) return 'public, max-age=31536000, immutable'
  return 'no-cache'
}

/**
 * Maps a raw request path to a file inside `root`, or null. The check runs on
 * the fully resolved path, so it holds whatever encoding trick got us here.
 */
export function resolveInside(root: string, rawPath: string): string | null {
  let decoded: string
  try {
    decoded = decodeURIComponent(rawPath)
  } catch {
    return null
  }
  if (decoded.includes('\0')) return null
  const resolvedRoot = path.resolve(root)
  const file = path.resolve(resolvedRoot, decoded.replace(/^\/+/, ''))
  return file === resolvedRoot || file.startsWith(resolvedRoot + path.sep) ? file : null
}

export type ByteRange = { readonly start: number; readonly end: number }

/**
 * Parses a single `bytes=` range against a file of `size` bytes. Returns null
 * to ignore the header (absent, malformed, or multi-range: serving the whole
 * file is allowed by RFC 9110) and 'unsatisfiable' for a 416.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (m === null || (m[1] === '' && m[2] === '')) return null
  const [first, last] = [m[1] ?? '', m[2] ?? '']
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (start >= size || end < start) return 'unsatisfiable'
  return { start, end }
}

function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers })
  res.end(body)
}

async function statFile(file: string): Promise<{ file: string; stats: Stats } | null> {
  try {
    let stats = await stat(file)
    if (stats.isDirectory()) {
      file = path.join(file, 'index.html')
      stats = await stat(file)
    }
    return stats.isFile() ? { file, stats } : null
  } catch {
    return null
  }
}

async function serveFromMount(req: IncomingMessage, res: ServerResponse, mount: Mount, rawPath: string): Promise<void> {
  const cors: Record<string, string> = mount.cors
    ? { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Content-Length, Content-Range, Accept-Ranges' }
    : {}
  if (req.method === 'OPTIONS' && mount.cors) {
    res.writeHead(204, { ...cors, 'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS', 'Access-Control-Allow-Headers': 'Range' })
    return void res.end()
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD', ...cors })
  const resolved = resolveInside(mount.root, rawPath)
  const found = resolved === null ? null : await statFile(resolved)
  if (found === null) return sendText(res, 404, 'Not found\n', cors)

  const { file, stats } = found
  const headers: Record<string, string | number> = {
    ...cors,
    'Content-Type': contentTypeFor(file),
    'Cache-Control': mount.cacheControl(path.relative(path.resolve(mount.root), file)),
    'Last-Modified': stats.mtime.toUTCString(),
    'Accept-Ranges': 'bytes',
    'X-Content-Type-Options': 'nosniff',
  }
  const range = parseRange(req.headers.range, stats.size)
  if (range === 'unsatisfiable') return sendText(res, 416, 'Range not satisfiable\n', { ...cors, 'Content-Range': `bytes */${stats.size}` })
  const { start, end } = range ?? { start: 0, end: stats.size - 1 }
  if (range !== null) headers['Content-Range'] = `bytes ${start}-${end}/${stats.size}`
  headers['Content-Length'] = stats.size === 0 ? 0 : end - start + 1
  res.writeHead(range === null ? 200 : 206, headers)
  if (req.method === 'HEAD' || stats.size === 0) return void res.end()
  // pipeline destroys both sides on error (client gone mid-download, file vanished).
  pipeline(createReadStream(file, { start, end }), res, () => {})
}

export interface StaticOptions {
  readonly staticDir?: string
  readonly modelsDir?: string
  /**
   * The tiny fixture model, served at /models/tiny-fixture/ ahead of `modelsDir`
   * (only that path: the rest of /models/ stays the mirror). `ready` resolves
   * once its files exist; requests wait for it (the first start builds them).
   */
  readonly fixture?: { readonly dir: string; readonly ready: () => Promise<unknown> }
}

export const FIXTURE_PATH = '/models/tiny-fixture/'

/** Returns the handler server.ts uses for every request that is not /healthz or /metrics. */
export function createStaticHandler(opts: StaticOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const app: Mount | null = opts.staticDir ? { root: opts.staticDir, cors: false, cacheControl: appCacheControl } : null
  const models: Mount | null = opts.modelsDir
    ? { root: opts.modelsDir, cors: true, cacheControl: () => 'public, max-age=3600' }
    : null
  // no-cache: the fixture is rebuilt when its builder changes, under the same names.
  const fixture: Mount | null = opts.fixture ? { root: opts.fixture.dir, cors: true, cacheControl: () => 'no-cache' } : null
  return async (req, res) => {
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/'
    if (fixture !== null && opts.fixture && rawPath.startsWith(FIXTURE_PATH)) {
      try {
        await opts.fixture.ready()
      } catch {
        return sendText(res, 503, 'The tiny-fixture model could not be built; see the server log.\n', { 'Access-Control-Allow-Origin': '*', 'Retry-After': '30' })
      }
      return serveFromMount(req, res, fixture, rawPath.slice(FIXTURE_PATH.length - 1))
    }
    if (models !== null && rawPath.startsWith('/models/')) return serveFromMount(req, res, models, rawPath.slice('/models'.length))
    if (app !== null) return serveFromMount(req, res, app, rawPath === '/' ? '/index.html' : rawPath)
    sendText(res, 404, 'Not found\n')
  }
}
