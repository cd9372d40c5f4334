/**
 * Public surface of src/inference. src/main.ts wires it like this:
 *
 *   const params = parseInferenceParams(location.search, location.href)
 *   const client = createWorkerInferenceClient(params)            // spawns workers/inference.worker.ts
 *   const controller = new EngineController({ client, store: browserStore(), autoload: params.autoload, ...(params.model ? { preferredModel: params.model } : {}) })
 *   void controller.start()
 *   mountNodePanel(container, controller)                         // src/ui/node-panel.ts
 *   // presence: controller.summary() on every controller.subscribe(...) tick
 */
export type * from './types'
export { EngineController, type ControllerSnapshot, type EngineControllerOptions, type PresenceSummary } from './engine-controller'
export { createWorkerInferenceClient, spawnInferenceWorker } from './worker-client'
export { createInProcessSimClient, type InProcessSimOptions } from './in-process-client'
export { browserStore, memoryStore, type KeyValueStore } from './kv-store'
export { parseInferenceParams, type InferenceParams } from './url-options'
export { checkSchema, type JsonSchema } from './schema-check'
export type { InitOptions } from './protocol'
