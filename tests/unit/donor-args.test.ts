/** `npm run donor` flag parsing: defaults, every flag, and a one-line ConfigError for each bad value. */
import { describe, expect, it } from 'vitest'
import { parseDonorArgs, tabUrl, type DonorOptions } from '../../donor/args'
import { ConfigError } from '../../src/errors'

const env = { HOME: '/home/donor' }
const parse = (...argv: string[]): DonorOptions => {
  const r = parseDonorArgs(argv, env)
  if (r.help) throw new Error('unexpected --help')
  return r.options
}

describe('parseDonorArgs', () => {
  it('has the documented defaults', () => {
    const o = parse()
    expect(o.server.href).toBe('http://127.0.0.1:8787/')
    expect(o.engine).toBeUndefined() // the page chooses, as for a person's tab
    expect(o).toMatchObject({ room: 'lobby', tabs: 1, webgpu: false, query: [], dataDir: '/home/donor/.mindos-donor', chromium: '/usr/bin/chromium' })
    expect(o.api).toBeUndefined()
  })

  it('reads every flag', () => {
    const o = parse('--server', 'https://swarm.example:8443/', '--room', 'lab-1', '--key', 's3cret', '--tabs', '3', '--engine', 'transformers', '--model', 'tiny-fixture', '--device', 'wasm', '--webgpu', '--roles', 'planner, verifier', '--query', 'simTps=50&seed=3', '--api-port', '8080', '--api-host', '0.0.0.0', '--api-key', 'k', '--timeout', '20', '--data', '/tmp/d')
    expect(o).toMatchObject({ room: 'lab-1', key: 's3cret', tabs: 3, engine: 'transformers', model: 'tiny-fixture', device: 'wasm', webgpu: true, roles: ['planner', 'verifier'], dataDir: '/tmp/d' })
    expect(o.server.href).toBe('https://swarm.example:8443/')
    expect(o.query).toEqual([['simTps', '50'], ['seed', '3']])
    expect(o.api).toEqual({ port: 8080, host: '0.0.0.0', key: 'k', timeoutMs: 20_000 })
  })

  it('takes Chromium from CHROMIUM_PATH', () => {
    const r = parseDonorArgs([], { ...env, CHROMIUM_PATH: '/opt/chrome/chrome' })
    expect(!r.help && r.options.chromium).toBe('/opt/chrome/chrome')
  })

  it('answers --help', () => {
    expect(parseDonorArgs(['--help'], env)).toEqual({ help: true })
    expect(parseDonorArgs(['-h'], env)).toEqual({ help: true })
  })

  const bad: [string[], RegExp][] = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['stray'], /positional/i],
    [['--tabs', '0'], /--tabs must be an integer from 1 to 16/],
    [['--tabs', '2.5'], /--tabs/],
    [['--tabs', ''], /--tabs needs a value/],
    [['--engine', 'gpt'], /--engine must be one of webllm, transformers, sim/],
    [['--device', 'cuda', '--engine', 'transformers'], /--device must be webgpu or wasm/],
    [['--device', 'wasm'], /--device applies to --engine transformers only/],
    [['--server', 'not a url'], /--server "not a url" is not a URL/],
    [['--server', 'ftp://x/'], /http:\/\/ or https:\/\//],
    [['--server', 'http://x/#room=a'], /--server takes the server address only/],
    [['--room', 'bad room!'], /--room "bad room!" must be/],
    [['--roles', 'planner,boss'], /unknown role "boss"/],
    [['--query', 'engine=sim'], /--query may not set "engine"/],
    [['--api-port', '70000'], /--api-port must be an integer from 0 to 65535/],
    [['--api-key', 'k'], /--api-key needs --api-port/],
    [['--api-host', '0.0.0.0'], /--api-host needs --api-port/],
    [['--timeout', '0'], /--timeout/],
    [['--webgpu=yes'], /--webgpu/],
  ]
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(' ')} with one line`, () => {
      let error: unknown
      try {
        parseDonorArgs(argv, env)
      } catch (err) {
        error = err
      }
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as Error).message).toMatch(message)
      expect((error as Error).message).not.toContain('\n')
    })
  }
})

describe('tabUrl', () => {
  it('puts the donor flag and engine settings in the query and the room (and key) in the fragment', () => {
    const url = new URL(tabUrl(parse('--server', 'http://127.0.0.1:9000/', '--room', 'lab', '--key', 'k&y', '--engine', 'sim', '--query', 'simTps=50')))
    expect(url.origin).toBe('http://127.0.0.1:9000')
    expect(Object.fromEntries(url.searchParams)).toEqual({ donor: '1', engine: 'sim', autoload: '1', simTps: '50' })
    expect(new URLSearchParams(url.hash.slice(1)).get('room')).toBe('lab')
    expect(new URLSearchParams(url.hash.slice(1)).get('key')).toBe('k&y')
  })

  it('passes model and device through', () => {
    const url = new URL(tabUrl(parse('--engine', 'transformers', '--model', 'tiny-fixture', '--device', 'wasm')))
    expect(url.searchParams.get('model')).toBe('tiny-fixture')
    expect(url.searchParams.get('device')).toBe('wasm')
  })

  it('leaves the engine to the page when --engine is not given', () => {
    expect(new URL(tabUrl(parse())).searchParams.has('engine')).toBe(false)
  })
})
