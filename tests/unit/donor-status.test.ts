/** The donor's status lines (terminal and plain), restart backoff, and finding a profile's browser process. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FIRST_DELAY_MS, MAX_DELAY_MS, restartDelayMs } from '../../donor/backoff'
import { browserPid, chromiumFlags } from '../../donor/chromium'
import { StatusDisplay, formatTabLine, progressBar } from '../../donor/status-line'
import type { SlotView } from '../../donor/supervisor'
import { BRIDGE_VERSION, type TabStatus } from '../../src/bridge/protocol'

const status = (p: Partial<TabStatus> = {}): TabStatus => ({
  v: BRIDGE_VERSION, type: 'status', room: 'lab', nodeId: 'n1', name: 'amber-otter', signaling: 'connected', peers: [{ id: 'p', state: 'ready', engineState: 'ready', roles: [], simulated: false }],
  engine: 'webllm', backend: 'webgpu', model: 'SmolLM2-360M', simulated: false, engineState: 'ready', tokensPerSec: 41.26, paused: false, busy: false, roles: [], tasksDone: 7, progress: null, lastError: null, ...p,
})
const slot = (p: Partial<SlotView> = {}): SlotView => ({ index: 0, state: 'up', status: status(), restarts: 0, pid: 42, note: null, ...p })

describe('status lines', () => {
  it('show room, peers, engine, model, tok/s, state and tasks done', () => {
    expect(formatTabLine(slot())).toBe('tab 1  room lab  peers 1  webllm/webgpu  SmolLM2-360M  41.3 tok/s  ready  tasks 7')
  })

  it('label a simulated engine, and show working / paused', () => {
    expect(formatTabLine(slot({ status: status({ engine: 'sim', backend: 'sim', simulated: true, busy: true }) }))).toContain('sim (SIMULATED)/sim  SmolLM2-360M  41.3 tok/s  working')
    expect(formatTabLine(slot({ status: status({ paused: true }) }))).toContain('paused')
  })

  it('show a progress bar with bytes while a model downloads', () => {
    const line = formatTabLine(slot({ status: status({ engineState: 'downloading', model: null, tokensPerSec: null, progress: { fraction: 0.42, text: 'fetching', loadedBytes: 42 * 1024 ** 2, totalBytes: 100 * 1024 ** 2 } }) }))
    expect(line).toContain('(no model)  - tok/s  downloading')
    expect(line).toContain('[########............]  42%  42 MB/100 MB')
    expect(progressBar(1, 4)).toBe('[####] 100%')
    const small = formatTabLine(slot({ status: status({ engineState: 'loading', progress: { fraction: 1, text: '', loadedBytes: 300 * 1024, totalBytes: 300 * 1024 } }) }))
    expect(small).toContain('300 kB/300 kB')
    const big = formatTabLine(slot({ status: status({ engineState: 'downloading', progress: { fraction: 0.5, text: '', loadedBytes: 1024 ** 3, totalBytes: 2 * 1024 ** 3 } }) }))
    expect(big).toContain('1.0 GB/2.0 GB')
    expect(progressBar(Number.NaN, 4)).toBe('[....]   0%')
  })

  it('show a restarting tab with the reason', () => {
    expect(formatTabLine(slot({ state: 'restarting', status: null, note: 'the browser closed; restart #2 in 2 s' }))).toBe('tab 1  restarting: the browser closed; restart #2 in 2 s')
  })

  it('on a pipe, print a tab\'s line when it changes, but not for tok/s alone', () => {
    const out: string[] = []
    const d = new StatusDisplay({ isTTY: false, write: (t) => out.push(t) })
    d.update([slot()])
    d.update([slot({ status: status({ tokensPerSec: 39 }) })])
    expect(out).toHaveLength(1)
    d.update([slot({ status: status({ tasksDone: 8 }) })])
    d.log('a log line')
    expect(out.slice(1)).toEqual([`${formatTabLine(slot({ status: status({ tasksDone: 8 }) }))}\n`, 'a log line\n'])
  })

  it('on a terminal, redraw the block in place and print logs above it', () => {
    const out: string[] = []
    const d = new StatusDisplay({ isTTY: true, columns: 200, write: (t) => out.push(t) })
    d.update([slot(), slot({ index: 1 })])
    expect(out).toEqual([`${formatTabLine(slot())}\n`, `${formatTabLine(slot({ index: 1 }))}\n`])
    out.length = 0
    d.log('restarted')
    expect(out[0]).toBe('\x1b[2A\x1b[J')
    expect(out[1]).toBe('restarted\n')
    expect(out).toHaveLength(4)
    out.length = 0
    d.finish()
    d.update([slot({ state: 'stopped' })])
    d.log('stopped')
    expect(out).toEqual(['stopped\n'])
  })

  it('on a terminal that reports no width, still shows whole lines', () => {
    const out: string[] = []
    new StatusDisplay({ isTTY: true, columns: 0, write: (t) => out.push(t) }).update([slot()])
    expect(out).toEqual([`${formatTabLine(slot())}\n`])
  })
})

describe('restart backoff', () => {
  it('doubles from 1 s and caps at a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(restartDelayMs)).toEqual([1, 2, 4, 8, 16, 32, 60, 60].map((s) => s * 1000))
    expect(restartDelayMs(0)).toBe(FIRST_DELAY_MS)
    expect(restartDelayMs(10_000)).toBe(MAX_DELAY_MS)
  })
})

describe('chromium', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'donor-proc-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const proc = (pid: number, args: string[]): void => {
    mkdirSync(path.join(dir, String(pid)))
    writeFileSync(path.join(dir, String(pid), 'cmdline'), `${args.join('\0')}\0`)
  }

  it('finds the main browser process of a profile, not its helpers or other profiles', () => {
    proc(10, ['/usr/bin/chromium', '--type=renderer', '--user-data-dir=/data/tab-1'])
    proc(11, ['/usr/bin/chromium', '--headless', '--user-data-dir=/data/tab-10'])
    proc(12, ['/usr/bin/chromium', '--headless', '--user-data-dir=/data/tab-1'])
    mkdirSync(path.join(dir, 'self'))
    expect(browserPid('/data/tab-1', dir)).toBe(12)
    expect(browserPid('/data/tab-2', dir)).toBeNull()
    expect(browserPid('/data/tab-1', path.join(dir, 'absent'))).toBeNull()
  })

  it('adds WebGPU flags only with --webgpu, and extra flags from the environment', () => {
    expect(chromiumFlags(false, undefined)).not.toContain('--enable-unsafe-webgpu')
    expect(chromiumFlags(true, undefined)).toEqual(expect.arrayContaining(['--enable-unsafe-webgpu', '--enable-features=Vulkan']))
    expect(chromiumFlags(false, ' --use-webgpu-adapter=swiftshader  --foo ').slice(-2)).toEqual(['--use-webgpu-adapter=swiftshader', '--foo'])
  })
})
