/**
 * Runs the InferenceClient contract against (1) the in-process simulated FAKE
 * on a manual clock and (2) the real worker client + service over a
 * MessageChannel (the worker boundary without a browser), hosting the
 * simulated engine on the system clock, and (3) the engine controller's
 * client facade that roles receive.
 */
import * as Comlink from 'comlink'
import { systemClock } from '../../src/clock'
import { EngineController } from '../../src/inference/engine-controller'
import { createInProcessSimClient } from '../../src/inference/in-process-client'
import { memoryStore } from '../../src/inference/kv-store'
import { createInferenceService } from '../../src/inference/service'
import { SimEngine } from '../../src/inference/sim'
import { createWorkerInferenceClient } from '../../src/inference/worker-client'
import { ManualClock } from './fake-clock'
import { runInferenceClientContract } from './inference-contract'

runInferenceClientContract('in-process simulated engine (fake clock)', async ({ seed }) => {
  const clock = new ManualClock()
  return { client: createInProcessSimClient({ clock, seed }), modelId: 'sim-fast', run: (p) => clock.runUntilSettled(p) }
})

runInferenceClientContract('worker client over a MessageChannel (simulated engine)', async ({ seed }) => {
  const { port1, port2 } = new MessageChannel()
  const service = createInferenceService({
    webllm: () => {
      throw new Error('not in node')
    },
    sim: (o) => new SimEngine({ clock: systemClock, loadMs: 40, tokensPerSec: o.simTps ?? 1000, ...(o.seed !== undefined ? { seed: o.seed } : {}) }),
  }, { postDelta: (m) => port1.postMessage(m) })
  Comlink.expose(service, port1 as unknown as Comlink.Endpoint)
  const client = createWorkerInferenceClient({ engine: 'sim', seed, simTps: 1000 }, port2 as unknown as Comlink.Endpoint)
  return {
    client,
    modelId: 'sim-fast',
    run: (p) => p,
    cleanup: () => {
      port1.close()
      port2.close()
    },
  }
})

runInferenceClientContract('engine controller facade over the simulated engine', async ({ seed }) => {
  const clock = new ManualClock()
  const controller = new EngineController({ client: createInProcessSimClient({ clock, seed }), store: memoryStore() })
  await clock.runUntilSettled(controller.start())
  return { client: controller.asClient(), modelId: 'sim-fast', run: (p) => clock.runUntilSettled(p), cleanup: () => controller.destroy() }
})
