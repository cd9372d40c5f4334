/**
 * FAKE InferenceClient for node tests and headless simulations: the SIMULATED
 * engine running in the caller's own thread, no worker, no GPU. Its results
 * carry `simulated: true`, like the simulated engine inside the worker.
 * Production pages use `createWorkerInferenceClient` (worker-client.ts).
 */
import { systemClock, type Clock } from '../clock'
import { SimEngine } from './sim'
import type { SimLengths } from './sim'
import type { CapabilityProbe, InferenceClient } from './types'

export interface InProcessSimOptions {
  readonly clock?: Clock
  readonly seed?: number
  readonly tokensPerSec?: number
  readonly loadMs?: number
  readonly probe?: () => Promise<CapabilityProbe>
  readonly lengths?: Partial<SimLengths>
  readonly planSteps?: number
}

export function createInProcessSimClient(opts: InProcessSimOptions = {}): InferenceClient {
  return new SimEngine({ ...opts, clock: opts.clock ?? systemClock })
}
