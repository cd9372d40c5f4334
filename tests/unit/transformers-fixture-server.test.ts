/**
 * The server always serves the tiny fixture model at /models/tiny-fixture/,
 * next to an optional --models mirror (the fixture mount wins only for its
 * own path), and builds it on the first request when it is missing, without
 * blocking the event loop (the build runs in a child process).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { onLog, setLogLevel, type LogEntry } from '../../src/log'
import { FIXTURE_FILES, isFixtureStale } from '../../signaling-server/tiny-fixture'
import { cleanup, httpRequest, startTestServer } from './signaling-harness'

const dirs: string[] = []
const tempDir = (prefix: string): string => {
  const d = mkdtempSync(path.join(tmpdir(), prefix))
  dirs.push(d)
  return d
}
afterEach(cleanup)
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

/** A fixture folder whose files are newer than the builder, so nothing gets rebuilt. */
function fakeFixture(): string {
  const dir = tempDir('fixture-')
  mkdirSync(path.join(dir, 'onnx'))
  for (const f of FIXTURE_FILES) writeFileSync(path.join(dir, f), f.endsWith('.json') ? `{"file":"${f}"}` : 'ONNX-BYTES')
  return dir
}

describe('/models/tiny-fixture/', () => {
  it('is served with CORS, Range and no-cache; the rest of /models/ stays the --models mirror', async () => {
    const fixture = fakeFixture()
    expect(await isFixtureStale(fixture)).toBe(false)
    const mirror = tempDir('mirror-')
    mkdirSync(path.join(mirror, 'tiny-fixture'))
    writeFileSync(path.join(mirror, 'tiny-fixture', 'config.json'), '{"from":"mirror"}')
    mkdirSync(path.join(mirror, 'org'))
    writeFileSync(path.join(mirror, 'org', 'weights.bin'), 'MIRROR')
    const server = await startTestServer({ tinyFixtureDir: fixture, modelsDir: mirror })

    const config = await httpRequest(server.port, '/models/tiny-fixture/config.json')
    expect(config.status).toBe(200)
    expect(config.body.toString()).toBe('{"file":"config.json"}')
    expect(config.headers['access-control-allow-origin']).toBe('*')
    expect(config.headers['cache-control']).toBe('no-cache')
    const part = await httpRequest(server.port, '/models/tiny-fixture/onnx/model_q4.onnx', { headers: { Range: 'bytes=0-3' } })
    expect(part.status).toBe(206)
    expect(part.body.toString()).toBe('ONNX')
    expect((await httpRequest(server.port, '/models/org/weights.bin')).body.toString()).toBe('MIRROR')
    expect((await httpRequest(server.port, '/models/tiny-fixture/nope.json')).status).toBe(404)
    expect((await httpRequest(server.port, '/models/tiny-fixture/..%2f..%2fetc%2fpasswd')).status).toBe(404)
  })

  it('can be turned off', async () => {
    const server = await startTestServer({ tinyFixtureDir: false })
    expect((await httpRequest(server.port, '/models/tiny-fixture/config.json')).status).toBe(404)
  })

  it('is built on the first request when missing; requests wait for it and the server keeps answering meanwhile', async () => {
    setLogLevel('info')
    const logs: LogEntry[] = []
    const off = onLog((e) => logs.push(e))
    try {
      const fixture = path.join(tempDir('fresh-'), 'tiny-fixture')
      const server = await startTestServer({ tinyFixtureDir: fixture })
      const first = httpRequest(server.port, '/models/tiny-fixture/config.json')
      const second = httpRequest(server.port, '/models/tiny-fixture/onnx/model_q4.onnx')
      await new Promise((r) => setTimeout(r, 500))
      const t0 = Date.now()
      expect((await httpRequest(server.port, '/healthz')).status).toBe(200)
      expect(Date.now() - t0).toBeLessThan(1_000) // the build does not block the event loop
      const [a, b] = await Promise.all([first, second])
      expect(a.status).toBe(200)
      expect(JSON.parse(a.body.toString())).toMatchObject({ model_type: 'llama', 'transformers.js_config': { dtype: 'q4' } })
      expect(b.status).toBe(200)
      expect(b.body.equals(readFileSync(path.join(fixture, 'onnx/model_q4.onnx')))).toBe(true)
      expect(logs.filter((e) => e.message === 'building tiny-fixture model (~15 s)')).toHaveLength(1)
      expect(await isFixtureStale(fixture)).toBe(false)
    } finally {
      off()
      setLogLevel('error')
    }
  }, 120_000)
})
