/**
 * The worker side of the protocol: adapts whichever engine `init()` chose
 * (WebLLM, transformers.js or the simulated one; all implement
 * InferenceClient and throw InferenceError) to data-only replies, and applies
 * the automatic engine choice (engine-choice.ts). workers/inference.worker.ts
 * exposes the result with comlink; node tests drive it over a MessageChannel.
 * Streamed text leaves through `StreamOptions.postDelta` in batches
 * (delta-batcher.ts), on the port comlink answers on (protocol.ts says why).
 */
import { releaseProxy } from 'comlink'
import { systemClock, type Clock } from '../clock'
import { InferenceError } from '../errors'
import { createLogger } from '../log'
import { isAbortFlag } from './abort-flag'
import { DeltaBatcher, DELTA_BATCH_MS } from './delta-batcher'
import { autoDevice, webllmFallback, type TransformersDevice } from './engine-choice'
import { PROTOCOL_VERSION, deltaMessage, errorReply, ok, type DeltaMessage, type EngineDiagnostics, type InferenceService, type InitOptions, type Reply } from './protocol'
import type { CapabilityProbe, InferenceClient } from './types'

const log = createLogger('inference')

export type TransformersInit = InitOptions & { readonly device: TransformersDevice; readonly note?: string }
export type DiagnosableClient = InferenceClient & Partial<EngineDiagnostics>

export interface EngineFactories {
  readonly webllm: (opts: InitOptions) => InferenceClient | Promise<InferenceClient>
  readonly sim: (opts: InitOptions) => InferenceClient
  /** Absent where transformers.js cannot run (node tests); the worker imports it lazily. */
  readonly transformers?: (opts: TransformersInit) => DiagnosableClient | Promise<DiagnosableClient>
  /** The capability probe used to pick a transformers.js device when the URL names none. */
  readonly probe?: () => Promise<CapabilityProbe>
}

export interface StreamOptions {
  /**
   * Posts one batch of streamed text to the page, on the same port comlink
   * replies on (in the worker: `self.postMessage`). Must not throw for a
   * cloneable message; delivery order = call order.
   */
  readonly postDelta: (m: DeltaMessage) => void
  /** Batching timer; the system clock unless a test drives it. */
  readonly clock?: Pick<Clock, 'now' | 'setTimeout'>
  readonly batchMs?: number
}

const ENGINES: readonly string[] = ['webllm', 'sim', 'transformers']

/** Builds the engine `opts` asks for, or the automatic fallback for the default WebLLM. */
async function createEngine(factories: EngineFactories, opts: InitOptions): Promise<DiagnosableClient> {
  const transformers = async (device: TransformersDevice | undefined, note?: string): Promise<DiagnosableClient> => {
    if (!factories.transformers) throw new InferenceError('BAD_REQUEST', 'The transformers.js engine is not available in this build.')
    const chosen = device ?? (factories.probe ? autoDevice(await factories.probe()) : 'wasm')
    return factories.transformers({ ...opts, engine: 'transformers', device: chosen, ...(note ? { note } : {}) })
  }
  if (opts.engine === 'sim') return factories.sim(opts)
  if (opts.engine === 'transformers') return transformers(opts.device)
  const webllm = await factories.webllm(opts)
  if (!opts.fallback || !factories.transformers) return webllm
  const probe = await webllm.probe()
  const fallback = webllmFallback(probe, probe.webgpu ? (await webllm.listModels()).length : 0)
  if (!fallback) return webllm
  log.info(fallback.note)
  webllm.destroy()
  return transformers(fallback.device, fallback.note)
}

async function wrap<T>(fn: () => Promise<T>): Promise<Reply<T>> {
  try {
    return ok(await fn())
  } catch (err) {
    if (!(err instanceof InferenceError)) log.error('engine threw a non-InferenceError', err)
    return errorReply(err)
  }
}

/**
 * A callback from the page (a comlink proxy when remote): load progress.
 * Calls are fire-and-forget; `flush()` awaits the last one so the page has
 * seen every report before the final reply, which travels on a different
 * MessagePort and could otherwise overtake them.
 */
function remoteCallback<T>(fn: (arg: T) => unknown): { call(arg: T): void; flush(): Promise<void> } {
  let last: Promise<unknown> = Promise.resolve()
  let broken = false
  return {
    call(arg) {
      if (broken) return
      try {
        last = Promise.resolve(fn(arg)).catch((err: unknown) => {
          broken = true // the page went away or the callback threw: stop calling it
          log.warn('inference callback failed', err)
        })
      } catch (err) {
        broken = true
        log.warn('inference callback failed', err)
      }
    },
    async flush() {
      await last
      const release = (fn as unknown as { [releaseProxy]?: () => void })[releaseProxy]
      if (typeof release === 'function') {
        try {
          release.call(fn)
        } catch {
          // Already released or not a proxy: nothing to free.
        }
      }
    },
  }
}

export function createInferenceService(factories: EngineFactories, stream: StreamOptions): InferenceService {
  const clock = stream.clock ?? systemClock
  const postDelta = (m: DeltaMessage): void => {
    try {
      stream.postDelta(m)
    } catch (err) {
      log.warn('could not post streamed text to the page', err) // the reply still carries the whole text
    }
  }
  let engine: DiagnosableClient | null = null
  let initOpts: InitOptions | null = null
  const need = (): DiagnosableClient => {
    if (!engine) throw new InferenceError('INTERNAL', 'The inference worker was called before init(); this is a bug in the page.')
    return engine
  }
  const str = (v: unknown, what: string): string => {
    if (typeof v !== 'string' || v.length === 0) throw new InferenceError('BAD_REQUEST', `${what} must be a non-empty string.`)
    return v
  }

  return {
    init: (opts) =>
      wrap(async () => {
        if (typeof opts?.engine !== 'string' || !ENGINES.includes(opts.engine)) {
          throw new InferenceError('BAD_REQUEST', `Unknown engine "${String(opts?.engine)}": use "webllm", "transformers" or "sim".`)
        }
        if (engine && initOpts) {
          if (initOpts.engine !== opts.engine) throw new InferenceError('BAD_REQUEST', `This worker already runs the ${initOpts.engine} engine.`)
          return { protocolVersion: PROTOCOL_VERSION, engine: (await engine.stats()).engine }
        }
        const created = await createEngine(factories, opts)
        engine = created
        initOpts = opts
        const kind = (await created.stats()).engine
        log.debug(`inference worker ready (engine=${kind})`)
        return { protocolVersion: PROTOCOL_VERSION, engine: kind }
      }),
    probe: () => wrap(() => need().probe()),
    listModels: () => wrap(() => need().listModels()),
    load: (modelId, onProgress) =>
      wrap(async () => {
        const cb = remoteCallback(onProgress)
        try {
          return await need().load(str(modelId, 'modelId'), (p) => cb.call(p))
        } finally {
          await cb.flush()
        }
      }),
    generate: (request) =>
      wrap(async () => {
        const runId = str(request?.runId, 'runId')
        if (request.abortFlag !== undefined && !isAbortFlag(request.abortFlag)) {
          throw new InferenceError('BAD_REQUEST', 'abortFlag must be an Int32Array of length 1 over a SharedArrayBuffer.')
        }
        const batcher = new DeltaBatcher((text, seq) => postDelta(deltaMessage(runId, seq, text)), clock, stream.batchMs ?? DELTA_BATCH_MS)
        try {
          return await need().generate(request, (d) => {
            if (typeof d === 'string') batcher.push(d)
          })
        } finally {
          // Synchronously, before wrap() returns the reply: FIFO on the port puts every delta ahead of it.
          batcher.close()
        }
      }),
    abort: (runId) => wrap(async () => (await need().abort(str(runId, 'runId')), null)),
    unload: () => wrap(async () => (await need().unload(), null)),
    cacheStatus: () => wrap(() => need().cacheStatus()),
    deleteFromCache: (modelId) => wrap(async () => (await need().deleteFromCache(str(modelId, 'modelId')), null)),
    stats: () => wrap(() => need().stats()),
    debugFirstLogits: (tokens) =>
      wrap(async () => {
        const e = need()
        if (!e.firstLogits) throw new InferenceError('BAD_REQUEST', 'This engine has no logits diagnostics (only transformers.js does).')
        if (!Array.isArray(tokens) || tokens.length === 0 || !tokens.every((t) => Number.isInteger(t) && t >= 0)) {
          throw new InferenceError('BAD_REQUEST', 'tokens must be a non-empty array of token ids.')
        }
        return e.firstLogits(tokens)
      }),
    debugLastTokens: () =>
      wrap(async () => {
        const e = need()
        if (!e.lastTokens) throw new InferenceError('BAD_REQUEST', 'This engine does not record token ids (only transformers.js does).')
        return e.lastTokens()
      }),
    debugLastStop: () =>
      wrap(async () => {
        const e = need()
        if (!e.lastStop) throw new InferenceError('BAD_REQUEST', 'This engine does not count its decoding steps (only transformers.js does).')
        return e.lastStop()
      }),
  }
}
