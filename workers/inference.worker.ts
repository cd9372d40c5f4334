/**
 * The inference worker entry: the only place that brings the engines into
 * the app. WebLLM (./webllm-engine) is imported up front; transformers.js
 * (./transformers-engine) only through a dynamic import, so tabs on WebLLM
 * never download it. It exposes an InferenceService (src/inference/protocol.ts)
 * over comlink; the page chooses the engine with init({ engine, device, ... }).
 */
import * as Comlink from 'comlink'
import { prebuiltAppConfig } from '@mlc-ai/web-llm'
import { systemClock } from '../src/clock'
import { withMirror } from '../src/inference/catalog'
import { probeCapabilities } from '../src/inference/probe'
import { createInferenceService, type EngineFactories } from '../src/inference/service'
import { SimEngine } from '../src/inference/sim'
import { WebLlmEngine } from './webllm-engine'

/** Relative mirror URLs (e.g. "/models") resolve against the page's origin: the engines need absolute ones. */
function absolute(url: string): string {
  return new URL(url, self.location.href).href
}

const engines: EngineFactories = {
  webllm: (opts) => {
    const appConfig = opts.modelsBaseUrl ? withMirror(prebuiltAppConfig, absolute(opts.modelsBaseUrl)) : prebuiltAppConfig
    return new WebLlmEngine(appConfig, () => probeCapabilities())
  },
  transformers: async (opts) => {
    const { TransformersEngine } = await import('./transformers-engine')
    return TransformersEngine.create({
      device: opts.device,
      ...(opts.note ? { note: opts.note } : {}),
      localModelsUrl: absolute(opts.localModelsUrl ?? '/models/'),
      ...(opts.modelsBaseUrl ? { mirrorUrl: absolute(opts.modelsBaseUrl) } : {}),
      probe: () => probeCapabilities(),
    })
  },
  probe: () => probeCapabilities(),
  sim: (opts) =>
    new SimEngine({
      clock: systemClock,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.simTps !== undefined ? { tokensPerSec: opts.simTps } : {}),
      // Untrusted like any message: SimEngine keeps only valid lengths and a 2–8 step count.
      ...(opts.simLengths !== undefined ? { lengths: opts.simLengths } : {}),
      ...(opts.simPlanSteps !== undefined ? { planSteps: opts.simPlanSteps } : {}),
      // Real capabilities even in simulation, so the panel never pretends about the hardware.
      probe: () => probeCapabilities(),
    }),
}

// Streamed text goes out on the port comlink answers on, so the generate reply can never overtake it (protocol.ts).
const service = createInferenceService(engines, { postDelta: (m) => self.postMessage(m) })

Comlink.expose(service)
// Diagnostics for devtools and e2e tests (Playwright evaluates in this worker): the same service, no new powers.
;(self as unknown as { __mindosInference?: unknown }).__mindosInference = service
