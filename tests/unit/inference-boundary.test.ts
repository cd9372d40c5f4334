/**
 * The worker boundary is untrusted in both directions: malformed replies become
 * INTERNAL errors, a dead worker fails pending calls instead of hanging, and
 * web-llm's own failures map to our codes with actionable messages.
 */
import * as Comlink from 'comlink'
import { afterEach, describe, expect, it } from 'vitest'
import { InferenceError } from '../../src/errors'
import { PROTOCOL_VERSION, deltaMessage, unwrapReply } from '../../src/inference/protocol'
import { isEngineStats } from '../../src/inference/reply-guards'
import { parseInferenceParams } from '../../src/inference/url-options'
import { createWorkerInferenceClient } from '../../src/inference/worker-client'
import { mapWebLlmError } from '../../workers/webllm-errors'
import { toLoadProgress } from '../../workers/webllm-progress'

const ports: MessagePort[] = []
afterEach(() => ports.splice(0).forEach((p) => p.close()))

/** A worker that answers init correctly and everything else with junk. */
function lyingWorker(overrides: Record<string, (...args: never[]) => unknown>) {
  const { port1, port2 } = new MessageChannel()
  ports.push(port1, port2)
  Comlink.expose({ init: () => ({ ok: true, value: { protocolVersion: PROTOCOL_VERSION, engine: 'sim' } }), ...overrides }, port1 as unknown as Comlink.Endpoint)
  return createWorkerInferenceClient({ engine: 'sim' }, port2 as unknown as Comlink.Endpoint)
}

async function rejection(p: Promise<unknown>): Promise<InferenceError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(InferenceError)
    return err as InferenceError
  }
  throw new Error('expected a rejection')
}

describe('worker client reply validation', () => {
  it('turns malformed replies into INTERNAL errors naming the method', async () => {
    const client = lyingWorker({
      probe: () => ({ ok: true, value: { webgpu: 'yes' } }),
      listModels: () => 'garbage',
      stats: () => ({ ok: false, code: 'NOPE', message: 'x' }),
      cacheStatus: () => ({ ok: true, value: [{ modelId: 3 }] }),
    })
    for (const [call, method] of [[client.probe(), 'probe'], [client.listModels(), 'listModels'], [client.stats(), 'stats'], [client.cacheStatus(), 'cacheStatus']] as const) {
      const err = await rejection(call)
      expect(err.code).toBe('INTERNAL')
      expect(err.message).toContain(`${method}()`)
    }
    client.destroy()
  })

  it('passes error replies through as InferenceError with their code', async () => {
    const client = lyingWorker({ unload: () => ({ ok: false, code: 'BUSY', message: 'busy now' }) })
    expect(await rejection(client.unload())).toMatchObject({ code: 'BUSY', message: 'busy now' })
    client.destroy()
  })

  it('drops malformed, foreign and out-of-order streamed text, and rejects a result for another run', async () => {
    const { port1, port2 } = new MessageChannel()
    ports.push(port1, port2)
    const post = (m: unknown) => port1.postMessage(m)
    Comlink.expose(
      {
        init: () => ({ ok: true, value: { protocolVersion: PROTOCOL_VERSION, engine: 'sim' } }),
        generate: (req: { runId: string }) => {
          post({ ...deltaMessage(req.runId, 0, 'x'), text: 42 }) // not text
          post({ ...deltaMessage(req.runId, 0, 'x'), v: 1 }) // another protocol version
          post(deltaMessage('someone-else', 0, 'not mine'))
          post(deltaMessage(req.runId, 0, 'o'))
          post(deltaMessage(req.runId, 0, 'replayed'))
          post(deltaMessage(req.runId, 1, 'k'))
          post(deltaMessage(req.runId, 5, 'gap'))
          return { ok: true, value: { runId: 'someone-else', text: 'ok', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1, decodeTokensPerSec: 1, prefillTokensPerSec: 1 }, engine: 'sim', model: 'm', simulated: true } }
        },
      },
      port1 as unknown as Comlink.Endpoint,
    )
    const client = createWorkerInferenceClient({ engine: 'sim' }, port2 as unknown as Comlink.Endpoint)
    const tokens: string[] = []
    const err = await rejection(client.generate({ messages: [{ role: 'user', content: 'x' }], maxTokens: 5, temperature: 0, runId: 'mine' }, (d) => tokens.push(d)))
    expect(tokens).toEqual(['o', 'k'])
    expect(err.code).toBe('INTERNAL')
    client.destroy()
  })

  it('rejects a worker speaking another protocol version', async () => {
    const { port1, port2 } = new MessageChannel()
    ports.push(port1, port2)
    Comlink.expose({ init: () => ({ ok: true, value: { protocolVersion: 999, engine: 'sim' } }) }, port1 as unknown as Comlink.Endpoint)
    const client = createWorkerInferenceClient({ engine: 'sim' }, port2 as unknown as Comlink.Endpoint)
    expect((await rejection(client.stats())).message).toMatch(/protocol v999/)
    client.destroy()
  })

  it('fails pending calls when the worker dies instead of hanging', async () => {
    class SilentWorker extends EventTarget {
      terminated = false
      postMessage(): void {}
      terminate(): void {
        this.terminated = true
      }
    }
    const worker = new SilentWorker()
    const client = createWorkerInferenceClient({ engine: 'webllm' }, worker)
    const pending = client.probe()
    worker.dispatchEvent(Object.assign(new Event('error'), { message: 'SyntaxError in worker' }))
    const err = await rejection(pending)
    expect(err.code).toBe('INTERNAL')
    expect(err.message).toMatch(/SyntaxError in worker/)
    client.destroy()
    expect(worker.terminated).toBe(true)
  })

  it('shares an abort flag with the worker and raises it before the abort message, also on unload', async () => {
    const { port1, port2 } = new MessageChannel()
    ports.push(port1, port2)
    const seen: { flag?: Int32Array; raisedWhenAbortArrived?: number; raisedWhenUnloadArrived?: number } = {}
    let finish: () => void = () => {}
    Comlink.expose(
      {
        init: () => ({ ok: true, value: { protocolVersion: PROTOCOL_VERSION, engine: 'transformers' } }),
        generate: (req: { runId: string; abortFlag?: Int32Array }) => {
          seen.flag = req.abortFlag
          return new Promise((resolve) => {
            finish = () => resolve({ ok: true, value: { runId: req.runId, text: '', finishReason: 'abort', usage: { promptTokens: 1, completionTokens: 0, decodeTokensPerSec: 0, prefillTokensPerSec: 0 }, engine: 'transformers', model: 'm', simulated: false } })
          })
        },
        abort: () => ((seen.raisedWhenAbortArrived = Atomics.load(seen.flag!, 0)), { ok: true, value: null }),
        unload: () => ((seen.raisedWhenUnloadArrived = Atomics.load(seen.flag!, 0)), finish(), { ok: true, value: null }),
      },
      port1 as unknown as Comlink.Endpoint,
    )
    const made: Int32Array[] = []
    const shared = () => {
      const flag = new Int32Array(new SharedArrayBuffer(4))
      made.push(flag)
      return flag
    }
    const client = createWorkerInferenceClient({ engine: 'transformers' }, port2 as unknown as Comlink.Endpoint, { abortFlag: shared })
    const ac = new AbortController()
    const run = client.generate({ messages: [{ role: 'user', content: 'x' }], maxTokens: 5, temperature: 0, runId: 'r1', signal: ac.signal }, () => {})
    await expect.poll(() => seen.flag).toBeDefined()
    expect(seen.flag!.buffer).toBeInstanceOf(SharedArrayBuffer)
    ac.abort()
    expect(Atomics.load(made[0]!, 0)).toBe(1) // raised at once, on the page
    expect(Atomics.load(seen.flag!, 0)).toBe(1) // and the worker's view is the same memory
    await expect.poll(() => seen.raisedWhenAbortArrived).toBe(1)
    Atomics.store(made[0]!, 0, 0) // lowered again, to see unload raise it
    await client.unload()
    expect(seen.raisedWhenUnloadArrived).toBe(1)
    await run
    client.destroy()
  })

  it('sends no flag where the page cannot share memory', async () => {
    const { port1, port2 } = new MessageChannel()
    ports.push(port1, port2)
    let wire: Record<string, unknown> = {}
    Comlink.expose(
      {
        init: () => ({ ok: true, value: { protocolVersion: PROTOCOL_VERSION, engine: 'sim' } }),
        generate: (req: Record<string, unknown>) => ((wire = req), { ok: true, value: { runId: req.runId, text: 'k', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1, decodeTokensPerSec: 1, prefillTokensPerSec: 1 }, engine: 'sim', model: 'm', simulated: true } }),
      },
      port1 as unknown as Comlink.Endpoint,
    )
    const client = createWorkerInferenceClient({ engine: 'sim' }, port2 as unknown as Comlink.Endpoint) // Node: not cross-origin isolated
    await client.generate({ messages: [{ role: 'user', content: 'x' }], maxTokens: 5, temperature: 0 }, () => {})
    expect(wire.runId).toEqual(expect.any(String))
    expect('abortFlag' in wire).toBe(false)
    client.destroy()
  })

  it('validates reply envelopes', () => {
    expect(() => unwrapReply('stats', null, isEngineStats)).toThrow(/malformed reply to stats\(\)/)
    expect(() => unwrapReply('stats', { value: 1 }, isEngineStats)).toThrow(/missing ok flag/)
  })
})

describe('web-llm error mapping', () => {
  const named = (name: string, message = 'x') => Object.assign(new Error(message), { name })
  it.each([
    [named('WebGPUNotAvailableError'), 'WEBGPU_UNAVAILABLE'],
    [named('DeviceLostError'), 'DEVICE_LOST'],
    [new Error('Device was lost. This can happen due to insufficient memory'), 'DEVICE_LOST'],
    [named('QuotaExceededError', 'The quota has been exceeded.'), 'QUOTA_EXCEEDED'],
    [new Error('Failed to store https://m/x with error: QuotaExceededError'), 'QUOTA_EXCEEDED'],
    [named('ModelNotFoundError'), 'MODEL_NOT_FOUND'],
    [new TypeError('Failed to fetch'), 'DOWNLOAD_FAILED'],
    [new TypeError("Failed to execute 'add' on 'Cache': Request failed"), 'DOWNLOAD_FAILED'],
    [named('AbortError', 'The operation was aborted.'), 'ABORTED'],
    ['Engine.unload() is called.', 'ABORTED'],
    [named('ShaderF16SupportError'), 'BAD_REQUEST'],
    [named('ModelNotLoadedError'), 'NOT_LOADED'],
    [new Error('something odd'), 'INTERNAL'],
  ])('%s → %s', (err, code) => {
    const mapped = mapWebLlmError(err, { modelId: 'Qwen3-0.6B-q4f32_1-MLC', action: 'load' })
    expect(mapped.code).toBe(code)
    expect(mapped.message.length).toBeGreaterThan(20)
  })

  it('gives actionable messages', () => {
    expect(mapWebLlmError(named('QuotaExceededError'), { action: 'load', modelId: 'M' }).message).toMatch(/Delete cached models/)
    expect(mapWebLlmError(named('DeviceLostError'), { action: 'load', modelId: 'M' }).message).toMatch(/smaller model/)
  })
})

describe('web-llm progress parsing', () => {
  it('reads phase and bytes from the report text', () => {
    const p = toLoadProgress({ progress: 0.5, text: 'Fetching param cache[3/24]: 150MB fetched. 50% completed, 10 secs elapsed.' }, false)
    expect(p).toEqual({ progress: 0.5, text: expect.any(String), phase: 'downloading', loadedBytes: 150 * 2 ** 20, totalBytes: 300 * 2 ** 20 })
    expect(toLoadProgress({ progress: 0.2, text: 'Loading model from cache[1/24]: 20MB loaded. 20% completed' }, true).phase).toBe('loading')
    expect(toLoadProgress({ progress: 0.9, text: 'Loading GPU shader modules[10/40]: 25% completed' }, false)).toMatchObject({ phase: 'loading' })
    expect(toLoadProgress({ progress: Number.NaN, text: 'Start to fetch params' }, false)).toMatchObject({ progress: 0, phase: 'downloading' })
  })
})

describe('URL parameters', () => {
  const page = 'http://127.0.0.1:5173/room#secret'
  const local = 'http://127.0.0.1:5173/models/'
  it('defaults to webllm with the transformers.js fallback, and never picks sim on its own', () => {
    expect(parseInferenceParams('', page)).toEqual({ engine: 'webllm', fallback: true, localModelsUrl: local, autoload: false, problems: [] })
  })
  it('reads engine, model, models, autoload, simTps and seed; an explicit engine never falls back', () => {
    expect(parseInferenceParams('?engine=sim&model=sim-fast&models=/models&autoload&simTps=50&seed=9', page)).toEqual({
      engine: 'sim', model: 'sim-fast', modelsBaseUrl: 'http://127.0.0.1:5173/models', localModelsUrl: local, autoload: true, simTps: 50, seed: 9, problems: [],
    })
    expect(parseInferenceParams('?engine=webllm', page).fallback).toBeUndefined()
  })
  it('reads engine=transformers with a device, and resolves the local models URL next to the app', () => {
    expect(parseInferenceParams('?engine=transformers&device=wasm&model=tiny-fixture&autoload=1', page)).toEqual({
      engine: 'transformers', device: 'wasm', model: 'tiny-fixture', localModelsUrl: local, autoload: true, problems: [],
    })
    expect(parseInferenceParams('?engine=transformers', 'https://example.org/swarm/?x=1#room=a')).toMatchObject({ localModelsUrl: 'https://example.org/swarm/models/' })
    expect(parseInferenceParams('?engine=transformers', page).device).toBeUndefined()
  })
  it('reports a bad device, or a device without engine=transformers', () => {
    const bad = parseInferenceParams('?engine=transformers&device=cuda', page)
    expect(bad.device).toBeUndefined()
    expect(bad.problems).toEqual([expect.stringContaining('Unknown device "cuda"')])
    const stray = parseInferenceParams('?device=wasm', page)
    expect(stray).toMatchObject({ engine: 'webllm', fallback: true })
    expect(stray.device).toBeUndefined()
    expect(stray.problems).toEqual([expect.stringContaining('engine=transformers only')])
  })
  it('reports bad values and falls back to defaults', () => {
    const p = parseInferenceParams('?engine=gpt&simTps=-1&seed=1.5&autoload=0', page)
    expect(p).toMatchObject({ engine: 'webllm', autoload: false })
    expect(p.simTps).toBeUndefined()
    expect(p.problems).toHaveLength(3)
  })
})
