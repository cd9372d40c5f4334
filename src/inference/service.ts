/**
 * The worker side of the protocol: adapts whichever engine `init()` chose
 * (WebLLM or the simulated one; both implement InferenceClient and throw
 * InferenceError) to data-only replies. workers/inference.worker.ts exposes
 * the result with comlink; node tests drive it over a MessageChannel.
 */
import { releaseProxy } from 'comlink'
import { InferenceError } from '../errors'
import { createLogger } from '../log'
import { PROTOCOL_VERSION, errorReply, ok, type InferenceService, type InitOptions, type Reply } from './protocol'
import type { InferenceClient } from './types'

const log = createLogger('inference')

export interface EngineFactories {
  readonly webllm: (opts: InitOptions) => InferenceClient | Promise<InferenceClient>
  readonly sim: (opts: InitOptions) => InferenceClient
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
 * A callback from the page (a comlink proxy when remote). Calls are
 * fire-and-forget while streaming; `flush()` awaits the last one so the page
 * has seen every token before the final reply, which travels on a different
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

export function createInferenceService(factories: EngineFactories): InferenceService {
  let engine: InferenceClient | null = null
  let initOpts: InitOptions | null = null
  const need = (): InferenceClient => {
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
        if (opts?.engine !== 'webllm' && opts?.engine !== 'sim') {
          throw new InferenceError('BAD_REQUEST', `Unknown engine "${String(opts?.engine)}": use "webllm" or "sim".`)
        }
        if (engine && initOpts) {
          if (initOpts.engine !== opts.engine) throw new InferenceError('BAD_REQUEST', `This worker already runs the ${initOpts.engine} engine.`)
          return { protocolVersion: PROTOCOL_VERSION, engine: opts.engine }
        }
        engine = opts.engine === 'sim' ? factories.sim(opts) : await factories.webllm(opts)
        initOpts = opts
        log.debug(`inference worker ready (engine=${opts.engine})`)
        return { protocolVersion: PROTOCOL_VERSION, engine: opts.engine }
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
    generate: (request, onToken) =>
      wrap(async () => {
        const cb = remoteCallback(onToken)
        try {
          str(request?.runId, 'runId')
          return await need().generate(request, (d) => cb.call(d))
        } finally {
          await cb.flush()
        }
      }),
    abort: (runId) => wrap(async () => (await need().abort(str(runId, 'runId')), null)),
    unload: () => wrap(async () => (await need().unload(), null)),
    cacheStatus: () => wrap(() => need().cacheStatus()),
    deleteFromCache: (modelId) => wrap(async () => (await need().deleteFromCache(str(modelId, 'modelId')), null)),
    stats: () => wrap(() => need().stats()),
  }
}
