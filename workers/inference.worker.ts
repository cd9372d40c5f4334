/**
 * The inference worker entry: the only place that brings @mlc-ai/web-llm
 * into the app (through ./webllm-engine). It exposes an InferenceService
 * (src/inference/protocol.ts) over comlink; the page chooses the engine
 * with init({ engine: 'webllm' | 'sim', ... }).
 */
import * as Comlink from 'comlink'
import { prebuiltAppConfig } from '@mlc-ai/web-llm'
import { systemClock } from '../src/clock'
import { withMirror } from '../src/inference/catalog'
import { probeCapabilities } from '../src/inference/probe'
import { createInferenceService } from '../src/inference/service'
import { SimEngine } from '../src/inference/sim'
import { WebLlmEngine } from './webllm-engine'

/** Relative mirror URLs (e.g. "/models") resolve against the page's origin: web-llm needs absolute ones. */
function absolute(url: string): string {
  return new URL(url, self.location.href).href
}

const service = createInferenceService({
  webllm: (opts) => {
    const appConfig = opts.modelsBaseUrl ? withMirror(prebuiltAppConfig, absolute(opts.modelsBaseUrl)) : prebuiltAppConfig
    return new WebLlmEngine(appConfig, () => probeCapabilities())
  },
  sim: (opts) =>
    new SimEngine({
      clock: systemClock,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.simTps !== undefined ? { tokensPerSec: opts.simTps } : {}),
      // Real capabilities even in simulation, so the panel never pretends about the hardware.
      probe: () => probeCapabilities(),
    }),
})

Comlink.expose(service)
