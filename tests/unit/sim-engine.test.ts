/** Simulated-engine specifics beyond the shared contract: timing, abort latency, labels. */
import { describe, expect, it } from 'vitest'
import { InferenceError } from '../../src/errors'
import { SIM_PREFIX, SimEngine } from '../../src/inference/sim'
import { ManualClock, settle } from './fake-clock'

async function loadedEngine(opts: { seed?: number; tokensPerSec?: number } = {}) {
  const clock = new ManualClock()
  const engine = new SimEngine({ clock, ...opts })
  await clock.runUntilSettled(engine.load('sim-fast', () => {}))
  return { clock, engine }
}

const ask = (content: string) => ({ messages: [{ role: 'user' as const, content }], maxTokens: 500, temperature: 0.5 })

describe('simulated engine', () => {
  it('generates at the configured tokens/s on the injected clock', async () => {
    const { clock, engine } = await loadedEngine({ tokensPerSec: 100 })
    const tokens: string[] = []
    const t0 = clock.now()
    const run = engine.generate(ask('Summarize the history of printing presses'), (d) => tokens.push(d))
    await clock.advance(10)
    expect(tokens).toHaveLength(1)
    await clock.advance(90)
    expect(tokens).toHaveLength(10)
    const result = await clock.runUntilSettled(run)
    expect(clock.now() - t0).toBe(result.usage.completionTokens * 10)
    expect(result.usage.decodeTokensPerSec).toBe(100)
  })

  it('stops within one token of an abort', async () => {
    const { clock, engine } = await loadedEngine()
    const tokens: string[] = []
    const run = engine.generate({ ...ask('Tell me about glaciers'), runId: 'g' }, (d) => tokens.push(d))
    run.catch(() => {})
    await clock.advance(25)
    const before = tokens.length
    await engine.abort('g')
    await clock.advance(1000)
    await settle()
    expect(tokens.length).toBe(before)
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' })
    expect(clock.pending).toBe(0)
  })

  it('labels text output and mentions the prompt key words', async () => {
    const { clock, engine } = await loadedEngine({ seed: 5 })
    const r = await clock.runUntilSettled(engine.generate(ask('Compare tidal energy and geothermal heating'), () => {}))
    expect(r.text.startsWith(SIM_PREFIX)).toBe(true)
    expect(r.text).toMatch(/tidal/)
    expect(r.text).toMatch(/geothermal/)
    expect(r).toMatchObject({ simulated: true, engine: 'sim', model: 'sim-fast' })
  })

  it('gives different seeds different output and the same seed the same output', async () => {
    const texts = []
    for (const seed of [1, 1, 2]) {
      const { clock, engine } = await loadedEngine({ seed })
      texts.push((await clock.runUntilSettled(engine.generate(ask('Describe three kinds of clouds'), () => {}))).text)
    }
    expect(texts[0]).toBe(texts[1])
    expect(texts[0]).not.toBe(texts[2])
  })

  it('a throwing token callback does not break the run', async () => {
    const { clock, engine } = await loadedEngine()
    const r = await clock.runUntilSettled(
      engine.generate(ask('hello there friend'), () => {
        throw new Error('ui bug')
      }),
    )
    expect(r.finishReason).toBe('stop')
  })

  it('rejects loading while busy and is NOT_LOADED after unload', async () => {
    const { clock, engine } = await loadedEngine()
    const run = engine.generate(ask('long answer please'), () => {})
    await expect(engine.load('sim-fast', () => {})).rejects.toMatchObject({ code: 'BUSY' })
    await clock.runUntilSettled(run)
    await engine.unload()
    await expect(engine.generate(ask('x'), () => {})).rejects.toBeInstanceOf(InferenceError)
    expect((await engine.stats()).state).toBe('idle')
  })
})
