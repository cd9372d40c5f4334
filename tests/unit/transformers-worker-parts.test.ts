/** The transformers.js engine's pure parts: progress mapping, token streaming, speeds, the event-loop yield, error codes. */
import path from 'node:path'
import { AutoTokenizer, env } from '@huggingface/transformers'
import { describe, expect, it } from 'vitest'
import { FIXTURE_DIR, ensureTinyFixture } from '../../signaling-server/tiny-fixture'
import { seededRandom } from '../../src/clock'
import { classifyTransformersError, mapTransformersError } from '../../workers/transformers-errors'
import { LoadProgressTracker } from '../../workers/transformers-progress'
import { createAbortFlag, isAbortFlag, isAbortFlagRaised, raiseAbortFlag } from '../../src/inference/abort-flag'
import { DeltaStreamer, StepGate, measureSpeeds } from '../../workers/transformers-stream'

describe('load progress', () => {
  it('aggregates bytes over every file seen, then reports the session build as loading', () => {
    const t = new LoadProgressTracker('m', 'onnx/model_q4.onnx', 'wasm', false)
    expect(t.update({ status: 'initiate', file: 'config.json' })).toMatchObject({ progress: 0, phase: 'downloading' })
    expect(t.update({ status: 'progress', file: 'config.json', loaded: 10, total: 10 })).toMatchObject({ progress: 1, loadedBytes: 10, totalBytes: 10 })
    const p = t.update({ status: 'progress', file: 'onnx/model_q4.onnx', loaded: 30, total: 90 })
    expect(p).toMatchObject({ progress: 0.4, loadedBytes: 40, totalBytes: 100, phase: 'downloading' })
    expect(p?.text).toContain('onnx/model_q4.onnx')
    expect(t.update({ status: 'progress_total', loaded: 1, total: 1 })).toBeNull()
    expect(t.update({ status: 'done', file: 'onnx/model_q4.onnx' })).toMatchObject({ progress: 1, phase: 'loading', text: expect.stringContaining('on wasm') })
  })

  it('calls reading cached weights loading, and survives junk', () => {
    const t = new LoadProgressTracker('m', 'w', 'webgpu', true)
    expect(t.update({ status: 'progress', file: 'w', loaded: Number.NaN, total: -1 })).toMatchObject({ phase: 'loading', progress: 0 })
  })
})

describe('token streaming', () => {
  // A fake decoder over a tiny byte vocabulary: id → byte, ids ≥ 250 are special.
  const bytes = new TextEncoder().encode('héllo wörld')
  const decoder = { decode: (ids: number[], o: { skip_special_tokens: boolean }) => new TextDecoder().decode(Uint8Array.from(ids.filter((i) => !(o.skip_special_tokens && i >= 250)))) }

  it('skips the prompt, emits whole characters only, and the deltas add up to the text', () => {
    const deltas: string[] = []
    let now = 0
    const s = new DeltaStreamer(decoder, (d) => deltas.push(d), () => (now += 10))
    s.put([[1n, 2n, 3n]])
    for (const b of bytes) s.put([[BigInt(b)]])
    s.put([[251n]])
    s.end()
    expect(deltas.join('')).toBe('héllo wörld')
    expect(deltas.some((d) => d.includes('\uFFFD'))).toBe(false)
    expect(s.text()).toBe('héllo wörld')
    expect(s.ids).toHaveLength(bytes.length + 1)
    expect(s.firstTokenAt).toBe(10)
  })

  it('decodes a constant-size window per token, not every id again (linear, not quadratic, in the reply length)', () => {
    let decodedIds = 0
    const counting = { decode: (ids: number[], o: { skip_special_tokens: boolean }) => ((decodedIds += ids.length), decoder.decode(ids, o)) }
    const deltas: string[] = []
    const s = new DeltaStreamer(counting, (d) => deltas.push(d))
    s.put([[1n]])
    const text = 'the quick brown fox jumps over the lazy dog. '.repeat(40)
    for (const b of new TextEncoder().encode(text)) s.put([[BigInt(b)]])
    s.end()
    expect(deltas.join('')).toBe(text)
    expect(decodedIds).toBeLessThan(4 * text.length) // re-decoding everything would be ~n²/2 = 160 000
  })

  it('streams exactly the full decode of the real fixture tokenizer, for seeded random replies with specials and split characters', async () => {
    await ensureTinyFixture()
    env.allowRemoteModels = false
    env.localModelPath = path.dirname(FIXTURE_DIR)
    const tok = await AutoTokenizer.from_pretrained(path.basename(FIXTURE_DIR))
    const vocab = tok.get_vocab() as Map<string, number>
    const size = Math.max(...vocab.values()) + 1
    for (let seed = 1; seed <= 20; seed++) {
      const rng = seededRandom(seed)
      // Mostly real text (so multi-byte characters get split over byte tokens), with random ids and specials mixed in.
      const ids = [...(tok.encode('Grüße, 東京 — naïve café ✓ ', { add_special_tokens: false }) as number[])]
      for (let i = 0; i < 150; i++) ids.splice(Math.floor(rng.next() * ids.length), 0, Math.floor(rng.next() * size))
      const deltas: string[] = []
      const s = new DeltaStreamer(tok as unknown as ConstructorParameters<typeof DeltaStreamer>[0], (d) => deltas.push(d))
      s.put([[0n]])
      for (const id of ids) s.put([[BigInt(id)]])
      s.end()
      expect(deltas.join(''), `seed ${seed}`).toBe(tok.decode(ids, { skip_special_tokens: true }))
      expect(deltas.join('')).toBe(s.text())
    }
  }, 60_000)

  it('measures decode speed after the first token and prefill up to it', () => {
    expect(measureSpeeds(50, 0, { ids: [1, 2, 3, 4, 5], firstTokenAt: 100, lastTokenAt: 500 })).toEqual({ decode: 10, prefill: 500 })
    expect(measureSpeeds(5, 0, { ids: [1], firstTokenAt: 50, lastTokenAt: 50 })).toEqual({ decode: 20, prefill: 100 })
    expect(measureSpeeds(5, 0, { ids: [], firstTokenAt: 0, lastTokenAt: 0 })).toEqual({ decode: 0, prefill: 0 })
  })

  it('without an abort flag, takes an event-loop turn (not just a microtask) before every step', async () => {
    const gate = new StepGate()
    for (let step = 0; step < 3; step++) {
      let done = false
      const turn = gate.beforeStep(null, () => expect.unreachable('no flag, nothing raised'))
      expect(turn).toBeInstanceOf(Promise)
      void turn!.then(() => (done = true))
      for (let i = 0; i < 100; i++) await Promise.resolve()
      expect(done).toBe(false) // where an abort message could never get in
      await turn
      expect(done).toBe(true)
    }
  })

  it('with an abort flag, reads it every step and takes a turn only every turnEveryMs', async () => {
    let now = 0
    const turns: (() => void)[] = []
    const gate = new StepGate((fn) => turns.push(fn), () => now, 50)
    const flag = new Int32Array(new SharedArrayBuffer(4))
    let raised = 0
    const step = () => gate.beforeStep(flag, () => raised++)
    const first = step() // the first step of a run: a turn is due
    expect(first).toBeInstanceOf(Promise)
    turns.shift()!()
    await first
    now = 49
    expect(step()).toBeUndefined()
    raiseAbortFlag(flag)
    expect(step()).toBeUndefined()
    expect(raised).toBe(1) // at once, without waiting for a turn
    now = 50
    expect(step()).toBeInstanceOf(Promise)
    expect(raised).toBe(2)
    expect(turns).toHaveLength(1)
  })

  it('accepts only a one-slot Int32Array over shared memory as an abort flag', () => {
    expect(isAbortFlag(new Int32Array(new SharedArrayBuffer(4)))).toBe(true)
    expect(isAbortFlag(new Int32Array(1))).toBe(false) // copied across, the page's store would never reach it
    expect(isAbortFlag(new Int32Array(new SharedArrayBuffer(8)))).toBe(false)
    expect(isAbortFlag({ 0: 0, length: 1 })).toBe(false)
    expect(createAbortFlag({ crossOriginIsolated: false })).toBeNull()
    const flag = createAbortFlag({ crossOriginIsolated: true })!
    expect(isAbortFlag(flag)).toBe(true)
    expect(isAbortFlagRaised(flag)).toBe(false)
    raiseAbortFlag(flag)
    expect(isAbortFlagRaised(flag)).toBe(true)
  })
})

describe('transformers.js errors', () => {
  it.each([
    ['ModelFileNotFoundError', 'Could not locate file: "https://m/x/resolve/main/config.json".', 'MODEL_NOT_FOUND'],
    ['Error', '`local_files_only=true` or `env.allowRemoteModels=false` and file was not found locally at "x".', 'MODEL_NOT_FOUND'],
    ['TypeError', 'Failed to fetch', 'DOWNLOAD_FAILED'],
    ['Error', 'Internal server error error occurred while trying to load file: "u".', 'DOWNLOAD_FAILED'],
    ['AbortError', 'The user aborted a request.', 'ABORTED'],
    ['QuotaExceededError', 'The quota has been exceeded.', 'QUOTA_EXCEEDED'],
    ['Error', "Failed to get GPU adapter. You may need to enable flag '--enable-unsafe-webgpu'", 'WEBGPU_UNAVAILABLE'],
    ['Error', 'no available backend found. ERR: [webgpu] Error: WebGPU is not supported', 'WEBGPU_UNAVAILABLE'],
    ['RangeError', 'Array buffer allocation failed', 'DEVICE_LOST'],
    ['Error', 'Device is lost: unknown', 'DEVICE_LOST'],
    ['Error', 'Unsupported model type: mamba', 'BAD_REQUEST'],
    ['TypeError', "Cannot read properties of undefined (reading 'x')", 'INTERNAL'],
  ])('%s: %s → %s', (name, message, code) => {
    expect(classifyTransformersError(name, message)).toBe(code)
  })

  it('writes messages a person can act on, naming the model and the source', () => {
    const e = mapTransformersError(Object.assign(new Error('Could not locate file: "u"'), { name: 'ModelFileNotFoundError' }), { modelId: 'a/b', action: 'load', device: 'wasm', source: 'http://mirror/' })
    expect(e.code).toBe('MODEL_NOT_FOUND')
    expect(e.message).toMatch(/a\/b.*http:\/\/mirror\/.*resolve\/main/)
    expect(mapTransformersError('boom', { modelId: 'tiny-fixture', action: 'generate', device: 'webgpu' }).message).toMatch(/generating with tiny-fixture on webgpu: boom/)
  })
})
