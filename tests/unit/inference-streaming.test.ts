/**
 * Streamed text across the worker boundary: the worker-side DeltaBatcher's
 * policy on a manual clock, then the real service + worker client over a real
 * MessageChannel (the worker boundary without a browser) driving a scripted
 * FAKE engine, so ordering, the final flush before the reply, and abort in
 * the middle of a batch are checked where they can actually go wrong.
 */
import * as Comlink from 'comlink'
import { afterEach, describe, expect, it } from 'vitest'
import { InferenceError } from '../../src/errors'
import { DeltaBatcher } from '../../src/inference/delta-batcher'
import { isDeltaMessage } from '../../src/inference/protocol'
import { createInferenceService } from '../../src/inference/service'
import type { GenerateRequest, GenerateResult, InferenceClient } from '../../src/inference/types'
import { createWorkerInferenceClient } from '../../src/inference/worker-client'
import { ManualClock } from './fake-clock'

describe('DeltaBatcher', () => {
  const setup = (ms = 16) => {
    const clock = new ManualClock()
    const sent: [string, number][] = []
    const b = new DeltaBatcher((text, seq) => sent.push([text, seq]), clock, ms)
    return { clock, sent, b }
  }

  it('sends the first delta at once, then coalesces within the interval', async () => {
    const { clock, sent, b } = setup()
    b.push('Hel')
    expect(sent).toEqual([['Hel', 0]])
    b.push('lo')
    b.push(',')
    expect(sent).toHaveLength(1)
    await clock.advance(16)
    expect(sent).toEqual([['Hel', 0], ['lo,', 1]])
    expect(clock.pending).toBe(0)
  })

  it('sends immediately again after a quiet interval, and keeps one timer per batch', async () => {
    const { clock, sent, b } = setup()
    b.push('a')
    await clock.advance(20)
    b.push('b')
    expect(sent.map((s) => s[0])).toEqual(['a', 'b'])
    b.push('c')
    b.push('d')
    expect(clock.pending).toBe(1)
    await clock.advance(5)
    b.push('e') // an earlier send than the timer is not needed: the timer still fires at the interval
    await clock.advance(11)
    expect(sent).toEqual([['a', 0], ['b', 1], ['cde', 2]])
  })

  it('close() flushes synchronously, cancels the timer and ignores later pushes', () => {
    const { clock, sent, b } = setup()
    b.push('x')
    b.push('y')
    b.push('')
    b.close()
    expect(sent).toEqual([['x', 0], ['y', 1]])
    expect(clock.pending).toBe(0)
    b.push('late')
    b.close()
    expect(sent).toHaveLength(2)
    expect(b.sent).toBe(2)
  })

  it('never sends an empty batch and keeps push order over many random pushes', async () => {
    const { clock, sent, b } = setup(7)
    let all = ''
    let seed = 3
    for (let i = 0; i < 500; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      const d = String.fromCharCode(97 + (seed % 26)).repeat(seed % 3)
      all += d
      b.push(d)
      await clock.advance(seed % 5)
    }
    b.close()
    expect(sent.every(([t]) => t.length > 0)).toBe(true)
    expect(sent.map(([, s]) => s)).toEqual(sent.map((_, i) => i))
    expect(sent.map(([t]) => t).join('')).toBe(all)
    expect(sent.length).toBeLessThan(500 / 2) // batched: far fewer posts than pushes
  })
})

/**
 * FAKE engine: emits a scripted sequence of deltas with a macrotask between
 * each (like a real engine's decoding steps), honours abort(runId) between
 * steps (`abortAfter`: as if it landed during that step of the first run), and rejects aborted runs with ABORTED like every real engine.
 */
function scriptedEngine(script: readonly string[], opts: { abortAfter?: number } = {}) {
  let runs = 0
  let running: { runId: string; cancelled: boolean } | null = null
  const model = { id: 'fake', engine: 'sim' as const, vramRequiredMB: 0, lowResourceRequired: true, requiredFeatures: [], quantization: 'none', contextWindow: 1024, supportsJsonSchema: false }
  const engine: Partial<InferenceClient> = {
    stats: async () => ({ engine: 'sim', simulated: true, backend: 'none', state: 'ready', model: 'fake', tokensPerSec: null, lastError: null }),
    listModels: async () => [model],
    async generate(req: GenerateRequest, onToken): Promise<GenerateResult> {
      const run = { runId: req.runId!, cancelled: false }
      const first = runs++ === 0
      running = run
      try {
        for (let i = 0; i < script.length; i++) {
          if (run.cancelled) throw new InferenceError('ABORTED', 'Generation was cancelled.')
          onToken(script[i]!)
          if (first && opts.abortAfter === i) run.cancelled = true // as if abort() landed during this step of the first run
          await new Promise((r) => setTimeout(r, 0))
        }
        return { runId: run.runId, text: script.join(''), finishReason: 'stop', usage: { promptTokens: 1, completionTokens: script.length, decodeTokensPerSec: 1, prefillTokensPerSec: 1 }, engine: 'sim', model: 'fake', simulated: true }
      } finally {
        running = null
      }
    },
    async abort(runId) {
      if (running?.runId === runId) running.cancelled = true
    },
    destroy() {},
  }
  return engine as InferenceClient
}

const ports: MessagePort[] = []
afterEach(() => ports.splice(0).forEach((p) => p.close()))

/** The real service and client over a real MessageChannel; `posted` records every delta message the worker side sent. */
function overChannel(engine: InferenceClient, batchMs: number) {
  const { port1, port2 } = new MessageChannel()
  ports.push(port1, port2)
  const posted: unknown[] = []
  const service = createInferenceService(
    { webllm: () => engine, sim: () => engine },
    {
      postDelta: (m) => {
        posted.push(m)
        port1.postMessage(m)
      },
      batchMs,
    },
  )
  Comlink.expose(service, port1 as unknown as Comlink.Endpoint)
  const client = createWorkerInferenceClient({ engine: 'sim' }, port2 as unknown as Comlink.Endpoint)
  return { client, posted }
}

const ask = (runId: string): GenerateRequest => ({ messages: [{ role: 'user', content: 'x' }], maxTokens: 100, temperature: 0, runId })
const words = Array.from({ length: 300 }, (_, i) => `w${i} `)

describe('streamed text over a MessageChannel', () => {
  it('arrives complete and in order, in far fewer messages than tokens, all before generate resolves', async () => {
    const { client, posted } = overChannel(scriptedEngine(words), 5)
    const seen: string[] = []
    let resolved = false
    const result = await client.generate(ask('r1'), (d) => {
      expect(resolved).toBe(false)
      seen.push(d)
    })
    resolved = true
    expect(seen.join('')).toBe(result.text)
    expect(seen.join('')).toBe(words.join(''))
    expect(posted.every(isDeltaMessage)).toBe(true)
    expect(posted.length).toBe(seen.length)
    expect(posted.length).toBeLessThan(words.length)
    client.destroy()
  })

  it('flushes the last batch before the reply even when the interval has not passed', async () => {
    // An interval longer than the whole run: only the leading delta goes out early, the rest must come with the final flush.
    const { client, posted } = overChannel(scriptedEngine(['a', 'b', 'c', 'd']), 60_000)
    const seen: string[] = []
    const result = await client.generate(ask('r2'), (d) => seen.push(d))
    expect(seen).toEqual(['a', 'bcd'])
    expect(result.text).toBe('abcd')
    expect(posted).toHaveLength(2)
    client.destroy()
  })

  it('on abort mid-batch delivers the text generated before the abort, then rejects, and streams nothing afterwards', async () => {
    const { client } = overChannel(scriptedEngine(words, { abortAfter: 40 }), 60_000)
    const seen: string[] = []
    let settled = false
    const err = await client.generate(ask('r3'), (d) => {
      expect(settled).toBe(false)
      seen.push(d)
    }).catch((e: unknown) => e)
    settled = true
    expect(err).toBeInstanceOf(InferenceError)
    expect((err as InferenceError).code).toBe('ABORTED')
    expect(seen.join('')).toBe(words.slice(0, 41).join(''))
    // The client stays usable, and a new run's text never mixes with the old one's.
    const again: string[] = []
    const r = await client.generate(ask('r4'), (d) => again.push(d))
    expect(again.join('')).toBe(r.text)
    expect(seen.join('')).toBe(words.slice(0, 41).join(''))
    client.destroy()
  })

  it('aborts through the signal while a batch is pending', async () => {
    const { client } = overChannel(scriptedEngine(words), 60_000)
    const ac = new AbortController()
    const seen: string[] = []
    const err = await client.generate({ ...ask('r5'), signal: ac.signal }, (d) => {
      seen.push(d)
      ac.abort() // on the first (leading) batch; the rest is buffered in the worker when abort lands
    }).catch((e: unknown) => e)
    expect((err as InferenceError).code).toBe('ABORTED')
    const text = seen.join('')
    expect(words.join('').startsWith(text)).toBe(true)
    expect(text.length).toBeLessThan(words.join('').length)
    client.destroy()
  })

  it('refuses a second run under a runId that is still streaming', async () => {
    const { client } = overChannel(scriptedEngine(words), 5)
    const first = client.generate(ask('same'), () => {})
    await expect(client.generate(ask('same'), () => {})).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await first
    client.destroy()
  })
})
