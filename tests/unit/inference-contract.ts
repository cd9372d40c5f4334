/**
 * The InferenceClient contract, as a reusable suite (automerge-repo style):
 * every implementation (the in-process simulated FAKE, the worker client over
 * a MessageChannel, the real transformers.js engine on the tiny fixture, …)
 * must pass it. Aborted runs REJECT with ABORTED: no implementation resolves
 * with finishReason 'abort'. Engines declare what they cannot do (`Abilities`)
 * and those cases are skipped, never weakened.
 */
import { describe, expect, it } from 'vitest'
import { InferenceError } from '../../src/errors'
import { checkSchema } from '../../src/inference/schema-check'
import { isCapabilityProbe, isEngineStats, isModelInfo } from '../../src/inference/reply-guards'
import type { GenerateRequest, InferenceClient, LoadProgress } from '../../src/inference/types'

/** What an engine offers beyond the core contract; all default to true. */
export interface Abilities {
  /** Output constrained to a JSON schema (transformers.js has no constrained decoding). */
  readonly jsonSchema?: boolean
  /** Same seed, same output (sampling in transformers.js is not seedable). */
  readonly seeded?: boolean
  /** The model's files land in a cache that cacheStatus/deleteFromCache manage (the fixture is never cached). */
  readonly cache?: boolean
}

export interface ContractSetup {
  readonly client: InferenceClient
  /** A model this client can load here. */
  readonly modelId: string
  /** Drives time until `p` settles (fake clock) or simply awaits it (real clock). */
  run<T>(p: Promise<T>): Promise<T>
  cleanup?(): void | Promise<void>
}

export const PLAN_SCHEMA = {
  type: 'object',
  properties: {
    subtasks: {
      type: 'array',
      minItems: 1,
      maxItems: 5,
      items: {
        type: 'object',
        properties: {
          id: { type: 'string', minLength: 1, maxLength: 12 },
          title: { type: 'string', minLength: 3, maxLength: 80 },
          role: { type: 'string', enum: ['researcher', 'verifier', 'synthesizer'] },
          dependsOn: { type: 'array', items: { type: 'string' }, maxItems: 3 },
          effort: { type: 'integer', minimum: 1, maximum: 5 },
        },
        required: ['id', 'title', 'role', 'dependsOn'],
        additionalProperties: false,
      },
    },
  },
  required: ['subtasks'],
  additionalProperties: false,
} as const

export const VERDICT_SCHEMA = {
  type: 'object',
  properties: { verdict: { type: 'string', enum: ['pass', 'fail'] }, reason: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['verdict', 'reason'],
} as const

const ask = (content: string, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  messages: [{ role: 'system', content: 'You are a node of a swarm.' }, { role: 'user', content }],
  maxTokens: 256,
  temperature: 0.7,
  ...extra,
})

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(InferenceError)
    return (err as InferenceError).code
  }
  return 'resolved'
}

export function runInferenceClientContract(name: string, setup: (opts: { seed: number }) => Promise<ContractSetup>, abilities: Abilities = {}): void {
  const can = { jsonSchema: true, seeded: true, cache: true, ...abilities }
  describe(`InferenceClient contract: ${name}`, () => {
    const withClient = (fn: (s: ContractSetup) => Promise<void>, seed = 7) => async () => {
      const s = await setup({ seed })
      try {
        await fn(s)
      } finally {
        s.client.destroy()
        await s.cleanup?.()
      }
    }
    const loaded = (fn: (s: ContractSetup) => Promise<void>, seed?: number) =>
      withClient(async (s) => {
        await s.run(s.client.load(s.modelId, () => {}))
        await fn(s)
      }, seed)

    it('probes capabilities and lists loadable models', withClient(async ({ client, modelId }) => {
      expect(isCapabilityProbe(await client.probe())).toBe(true)
      const models = await client.listModels()
      expect(models.every(isModelInfo)).toBe(true)
      expect(models.map((m) => m.id)).toContain(modelId)
      expect(isEngineStats(await client.stats())).toBe(true)
    }))

    it('rejects unknown models with MODEL_NOT_FOUND and generation before load with NOT_LOADED', withClient(async (s) => {
      expect(await codeOf(s.run(s.client.load('no-such-model', () => {})))).toBe('MODEL_NOT_FOUND')
      expect(await codeOf(s.run(s.client.generate(ask('hello'), () => {})))).toBe('NOT_LOADED')
    }))

    it('loads with progress and reports ready', withClient(async (s) => {
      const progress: LoadProgress[] = []
      const info = await s.run(s.client.load(s.modelId, (p) => progress.push(p)))
      expect(info.id).toBe(s.modelId)
      expect(progress.length).toBeGreaterThan(0)
      expect(progress.every((p) => p.progress >= 0 && p.progress <= 1)).toBe(true)
      const stats = await s.client.stats()
      expect(stats).toMatchObject({ state: 'ready', model: s.modelId })
    }))

    it('streams tokens whose concatenation is the result text', loaded(async (s) => {
      const tokens: string[] = []
      const result = await s.run(s.client.generate(ask('Explain how bees communicate with dances'), (d) => tokens.push(d)))
      const stats = await s.client.stats()
      expect(tokens.length).toBeGreaterThan(1)
      expect(tokens.join('')).toBe(result.text)
      expect(result).toMatchObject({ engine: stats.engine, simulated: stats.simulated, model: s.modelId, finishReason: 'stop' })
      expect(result.usage.completionTokens).toBeGreaterThan(0)
      expect(result.usage.decodeTokensPerSec).toBeGreaterThan(0)
    }))

    it('stops at maxTokens with finishReason length', loaded(async (s) => {
      const tokens: string[] = []
      const result = await s.run(s.client.generate(ask('Write a long essay about rivers', { maxTokens: 3 }), (d) => tokens.push(d)))
      expect(result.finishReason).toBe('length')
      expect(tokens.length).toBeLessThanOrEqual(3)
      expect(tokens.join('')).toBe(result.text)
    }))

    it('aborts mid-generation by runId with ABORTED and stays usable', loaded(async (s) => {
      const prompt = 'Describe the water cycle in detail'
      const full = (await s.run(s.client.generate(ask(prompt), () => {}))).usage.completionTokens
      let seen = 0
      const run = s.client.generate(ask(prompt, { runId: 'r-abort' }), () => {
        if (++seen === 1) void s.client.abort('r-abort')
      })
      expect(await codeOf(s.run(run))).toBe('ABORTED')
      expect(seen).toBeLessThan(full)
      expect((await s.client.stats()).state).toBe('ready')
      const again = await s.run(s.client.generate(ask('Still there?'), () => {}))
      expect(again.text.length).toBeGreaterThan(0)
    }))

    it('aborts through request.signal, also before start', loaded(async (s) => {
      const pre = new AbortController()
      pre.abort()
      expect(await codeOf(s.run(s.client.generate(ask('x', { signal: pre.signal }), () => {})))).toBe('ABORTED')
      const ac = new AbortController()
      const run = s.client.generate(ask('Tell me about volcanoes', { signal: ac.signal }), () => ac.abort())
      expect(await codeOf(s.run(run))).toBe('ABORTED')
    }))

    it('rejects a second concurrent generation with BUSY and bad requests with BAD_REQUEST', loaded(async (s) => {
      const first = s.client.generate(ask('first question about maps'), () => {})
      expect(await codeOf(s.client.generate(ask('second'), () => {}))).toBe('BUSY')
      await s.run(first)
      expect(await codeOf(s.client.generate(ask('x', { maxTokens: 0 }), () => {}))).toBe('BAD_REQUEST')
      expect(await codeOf(s.client.generate({ messages: [], maxTokens: 5, temperature: 0 }, () => {}))).toBe('BAD_REQUEST')
    }))

    it.runIf(can.jsonSchema)('produces JSON that satisfies the requested schema', loaded(async (s) => {
      for (const schema of [PLAN_SCHEMA, VERDICT_SCHEMA]) {
        const result = await s.run(s.client.generate(ask('Plan a report on solar panels in JSON', { jsonSchema: schema, maxTokens: 2000 }), () => {}))
        const value: unknown = JSON.parse(result.text)
        expect(checkSchema(schema, value)).toEqual([])
      }
    }))

    it.runIf(can.seeded)('is deterministic for a seed', async () => {
      const texts: string[] = []
      for (let i = 0; i < 2; i++) {
        await loaded(async (s) => {
          const r = await s.run(s.client.generate(ask('Compare owls and hawks', { jsonSchema: PLAN_SCHEMA, maxTokens: 2000 }), () => {}))
          const t = await s.run(s.client.generate(ask('Compare owls and hawks'), () => {}))
          texts.push(r.text + t.text)
        }, 42)()
      }
      expect(texts[0]).toBe(texts[1])
    })

    it('cancels a load when unloaded, then reports cache state and deletes', withClient(async (s) => {
      const load = s.client.load(s.modelId, () => void s.client.unload())
      expect(await codeOf(s.run(load))).toBe('ABORTED')
      expect((await s.client.stats()).model).toBeNull()
      await s.run(s.client.load(s.modelId, () => {}))
      if (!can.cache) {
        expect(await codeOf(s.client.deleteFromCache(s.modelId))).toBe('BUSY')
        await s.client.unload()
        expect(await s.client.stats()).toMatchObject({ state: 'idle', model: null })
        return
      }
      expect((await s.client.cacheStatus()).find((e) => e.modelId === s.modelId)?.cached).toBe(true)
      expect(await codeOf(s.client.deleteFromCache(s.modelId))).toBe('BUSY')
      await s.client.unload()
      await s.client.deleteFromCache(s.modelId)
      expect((await s.client.cacheStatus()).find((e) => e.modelId === s.modelId)?.cached).toBe(false)
      expect(await s.client.stats()).toMatchObject({ state: 'idle', model: null })
    }))
  })
}
