/**
 * Main-thread InferenceClient backed by the inference worker
 * (workers/inference.worker.ts, which hosts WebLLM or the simulated engine).
 * Turns `{ ok: false }` replies into thrown InferenceError, validates every
 * reply (the worker is untrusted), maps `request.signal` to `abort(runId)`
 * (raising the run's shared abort flag first, when the page can share
 * memory: abort-flag.ts), and fails pending calls if the worker dies instead of letting them hang.
 * Streamed text arrives as batched DeltaMessages on the same endpoint
 * (protocol.ts), routed by runId to the run's `onToken`.
 */
import * as Comlink from 'comlink'
import { InferenceError } from '../errors'
import { createLogger } from '../log'
import { PROTOCOL_VERSION, isDeltaMessage, looksLikeDeltaMessage, toInitOptions, unwrapReply, type InferenceService, type InitOptions, type Reply } from './protocol'
import { createAbortFlag, raiseAbortFlag } from './abort-flag'
import * as guards from './reply-guards'
import type { GenerateRequest, GenerateResult, InferenceClient, LoadProgress } from './types'

const log = createLogger('inference')

/** Vite bundles the worker from this exact `new Worker(new URL(...))` expression. */
export function spawnInferenceWorker(): Worker {
  return new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), { type: 'module', name: 'mindos-inference' })
}

type WorkerLike = Comlink.Endpoint & { terminate?(): void }

let runCounter = 0
function newRunId(): string {
  const uuid = globalThis.crypto?.randomUUID?.()
  return uuid ?? `run-${Date.now().toString(36)}-${++runCounter}`
}

export interface WorkerClientOptions {
  /** Makes each run's shared abort flag; default createAbortFlag (null outside a cross-origin isolated page). */
  readonly abortFlag?: () => Int32Array | null
}

export function createWorkerInferenceClient(opts: InitOptions, endpoint: WorkerLike = spawnInferenceWorker(), clientOpts: WorkerClientOptions = {}): InferenceClient {
  const makeAbortFlag = clientOpts.abortFlag ?? (() => createAbortFlag())
  const remote = Comlink.wrap<InferenceService>(endpoint)
  let dead: InferenceError | null = null
  let failDead: (err: InferenceError) => void = () => {}
  const deadPromise = new Promise<never>((_, reject) => {
    failDead = reject
  })
  deadPromise.catch(() => {}) // observed through Promise.race below only
  const die = (err: InferenceError): void => {
    if (dead) return
    dead = err
    failDead(err)
  }
  const onWorkerError = (ev: Event): void => {
    const detail = (ev as ErrorEvent).message || 'the worker script failed to load or crashed'
    log.error('inference worker error', detail)
    die(new InferenceError('INTERNAL', `The inference worker stopped (${detail}). Reload the page to restart it.`))
  }
  endpoint.addEventListener('error', onWorkerError as EventListener)

  /** Runs whose text is streaming: the next batch number each expects, where its text goes, and its abort flag. */
  const streams = new Map<string, { next: number; readonly onToken: (delta: string) => void; readonly abortFlag: Int32Array | null }>()
  const onMessage = (ev: Event): void => {
    const data: unknown = (ev as MessageEvent).data
    if (!looksLikeDeltaMessage(data)) return // comlink's own traffic
    if (!isDeltaMessage(data)) return void log.warn('dropped a malformed streamed-text message from the inference worker', data)
    const s = streams.get(data.runId)
    if (!s) return // the run already settled (or is not ours): its text has nowhere to go
    if (data.seq !== s.next) return void log.warn(`dropped streamed text for run ${data.runId}: batch ${data.seq} arrived, batch ${s.next} expected`)
    s.next++
    try {
      s.onToken(data.text)
    } catch (err) {
      log.warn('onToken threw', err)
    }
  }
  endpoint.addEventListener('message', onMessage)

  const send = async <T>(method: string, fn: () => Promise<Reply<T>>, isValue: (v: unknown) => v is T): Promise<T> => {
    if (dead) throw dead
    let raw: unknown
    try {
      raw = await Promise.race([fn(), deadPromise])
    } catch (err) {
      if (err instanceof InferenceError) throw err
      throw new InferenceError('INTERNAL', `Could not reach the inference worker for ${method}(): ${err instanceof Error ? err.message : String(err)}`)
    }
    return unwrapReply(method, raw, isValue)
  }

  const ready = send('init', () => remote.init(toInitOptions(opts)), guards.isInitInfo).then((info) => {
    if (info.protocolVersion !== PROTOCOL_VERSION) {
      throw new InferenceError('INTERNAL', `The inference worker speaks protocol v${info.protocolVersion}, the page v${PROTOCOL_VERSION}: reload the page.`)
    }
    return info
  })
  ready.catch(() => {}) // surfaced by the first call that awaits it
  const call = async <T>(method: string, fn: () => Promise<Reply<T>>, isValue: (v: unknown) => v is T): Promise<T> => {
    await ready
    return send(method, fn, isValue)
  }

  const client: InferenceClient = {
    probe: () => call('probe', () => remote.probe(), guards.isCapabilityProbe),
    listModels: () => call('listModels', () => remote.listModels(), guards.isModelList),
    load: (modelId, onProgress) => {
      const progress = Comlink.proxy((p: unknown) => {
        if (guards.isLoadProgress(p)) onProgress(p)
        else log.warn('dropped malformed progress report from the inference worker', p)
      })
      return call('load', () => remote.load(modelId, progress as (p: LoadProgress) => void), guards.isModelInfo)
    },
    generate: async (request: GenerateRequest, onToken) => {
      const runId = request.runId ?? newRunId()
      const { signal } = request
      if (signal?.aborted) throw new InferenceError('ABORTED', 'Generation was cancelled before it started.')
      if (streams.has(runId)) throw new InferenceError('BAD_REQUEST', `Run ${runId} is already generating; give each run its own runId.`)
      const abortFlag = makeAbortFlag()
      streams.set(runId, { next: 0, onToken, abortFlag })
      const onAbort = (): void => void client.abort(runId).catch((err: unknown) => log.warn('abort failed', err))
      signal?.addEventListener('abort', onAbort, { once: true })
      try {
        const wire = {
          messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
          maxTokens: request.maxTokens,
          temperature: request.temperature,
          runId,
          ...(request.jsonSchema !== undefined ? { jsonSchema: request.jsonSchema } : {}),
          // Shared, not copied: structured clone keeps a SharedArrayBuffer's memory in common with the worker.
          ...(abortFlag ? { abortFlag } : {}),
        }
        // Every delta precedes this reply on the endpoint, so onToken has seen all the streamed text when it resolves.
        const result: GenerateResult = await call('generate', () => remote.generate(wire), guards.isGenerateResult)
        if (result.runId !== runId) throw new InferenceError('INTERNAL', `The inference worker answered run ${result.runId} for run ${runId}.`)
        return result
      } finally {
        streams.delete(runId)
        signal?.removeEventListener('abort', onAbort)
      }
    },
    // The flag stops the run at its next step on an engine that reads it; the message, for every other engine, waits in the worker's queue.
    abort: (runId) => {
      const flag = streams.get(runId)?.abortFlag
      if (flag) raiseAbortFlag(flag)
      return call('abort', () => remote.abort(runId), guards.isNull).then(() => undefined)
    },
    unload: () => {
      // A worker that reads flags takes its messages only now and then while decoding: stop the runs first.
      for (const s of streams.values()) if (s.abortFlag) raiseAbortFlag(s.abortFlag)
      return call('unload', () => remote.unload(), guards.isNull).then(() => undefined)
    },
    cacheStatus: () => call('cacheStatus', () => remote.cacheStatus(), guards.isCacheList),
    deleteFromCache: (modelId) => call('deleteFromCache', () => remote.deleteFromCache(modelId), guards.isNull).then(() => undefined),
    stats: () => call('stats', () => remote.stats(), guards.isEngineStats),
    destroy: () => {
      die(new InferenceError('INTERNAL', 'This inference client was destroyed.'))
      endpoint.removeEventListener('error', onWorkerError as EventListener)
      endpoint.removeEventListener('message', onMessage)
      streams.clear()
      remote[Comlink.releaseProxy]()
      endpoint.terminate?.()
    },
  }
  return client
}
