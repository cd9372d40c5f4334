/**
 * The bookkeeping every engine (WebLLM and transformers.js in the worker, the simulated one) shares
 * for `stats()`: state, loaded model, measured tok/s and the last error.
 */
import { InferenceError } from '../errors'
import type { Backend, EngineKind, EngineState, EngineStats } from './types'

export class EngineStatus {
  state: EngineState = 'idle'
  model: string | null = null
  tokensPerSec: number | null = null
  lastError: EngineStats['lastError'] = null

  constructor(
    readonly engine: EngineKind,
    readonly simulated: boolean,
    readonly backend: Backend,
  ) {}

  /** Records a failure for stats; ABORTED is a user choice, not an error worth showing. */
  record(err: InferenceError): InferenceError {
    if (err.code !== 'ABORTED') this.lastError = { code: err.code, message: err.message }
    return err
  }

  snapshot(): EngineStats {
    return {
      engine: this.engine,
      simulated: this.simulated,
      backend: this.backend,
      state: this.state,
      model: this.model,
      tokensPerSec: this.tokensPerSec,
      lastError: this.lastError,
    }
  }
}

export function aborted(what: string): InferenceError {
  return new InferenceError('ABORTED', `${what} was cancelled.`)
}

/** Shared request checks so every engine rejects the same bad input the same way. */
export function checkRequest(req: { messages: readonly unknown[]; maxTokens: number; temperature: number }): void {
  if (!Array.isArray(req.messages) || req.messages.length === 0) throw new InferenceError('BAD_REQUEST', 'A generate request needs at least one message.')
  if (!Number.isInteger(req.maxTokens) || req.maxTokens <= 0) throw new InferenceError('BAD_REQUEST', `maxTokens must be a positive integer (got ${req.maxTokens}).`)
  if (!Number.isFinite(req.temperature) || req.temperature < 0 || req.temperature > 2) {
    throw new InferenceError('BAD_REQUEST', `temperature must be between 0 and 2 (got ${req.temperature}).`)
  }
}
