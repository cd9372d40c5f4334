/**
 * Inference settings from the page URL (read once by src/main.ts):
 *   ?engine=webllm|transformers|sim
 *                        engine. Absent: WebLLM, falling back to transformers.js
 *                        when there is no WebGPU or no WebLLM model fits
 *                        (engine-choice.ts). An explicit engine never falls
 *                        back, and sim is never chosen automatically.
 *   ?device=webgpu|wasm  transformers.js backend (default: from the probe)
 *   ?model=<id>          model to select (and load, with autoload)
 *   ?models=<url>        model mirror base URL (layout: see catalog.ts)
 *   ?autoload[=1|0]      load the remembered/default model on start
 *   ?simTps=<n>          simulated engine speed, tokens/s (default 200)
 *   ?seed=<n>            simulated engine seed (default 1)
 *   ?simLengths=plan:200,research:250,verify:40,synthesize:400
 *                        simulated tokens per reply of each role (any subset;
 *                        defaults in src/inference/sim/profile.ts)
 *   ?simPlanSteps=<2..8> steps in every simulated plan (default: seeded, 2–5)
 * A bad value never breaks the page: it is reported in `problems`, and the
 * default is used.
 */
import { createLogger } from '../log'
import { isTransformersDevice } from './engine-choice'
import type { InitOptions } from './protocol'
import { DEFAULT_SIM_LENGTHS, MAX_SIM_PLAN_STEPS, MIN_SIM_PLAN_STEPS, isSimPlanSteps, parseSimLengths } from './sim/profile'

const log = createLogger('inference')

export interface InferenceParams extends InitOptions {
  readonly model?: string
  readonly autoload: boolean
  readonly problems: readonly string[]
}

export function parseInferenceParams(search: string, pageHref: string): InferenceParams {
  const q = new URLSearchParams(search)
  const problems: string[] = []
  const engineRaw = q.get('engine')
  let engine: InitOptions['engine'] = 'webllm'
  let explicitEngine = false
  if (engineRaw === 'sim' || engineRaw === 'webllm' || engineRaw === 'transformers') {
    engine = engineRaw
    explicitEngine = true
  } else if (engineRaw !== null) problems.push(`Unknown engine "${engineRaw}" (use webllm, transformers or sim); using webllm.`)

  const deviceRaw = q.get('device')
  let device: InitOptions['device']
  if (deviceRaw !== null) {
    if (!isTransformersDevice(deviceRaw)) problems.push(`Unknown device "${deviceRaw}" (use webgpu or wasm); choosing from this device's capabilities.`)
    else if (engine !== 'transformers') problems.push(`?device= applies to engine=transformers only; ignored.`)
    else device = deviceRaw
  }

  let modelsBaseUrl: string | undefined
  const models = q.get('models')
  if (models) {
    try {
      modelsBaseUrl = new URL(models, pageHref).href
    } catch {
      problems.push(`?models="${models}" is not a URL; using the default model hosts.`)
    }
  }

  const num = (key: string, valid: (n: number) => boolean, what: string): number | undefined => {
    const raw = q.get(key)
    if (raw === null) return undefined
    const n = Number(raw)
    if (raw.trim() !== '' && valid(n)) return n
    problems.push(`?${key}="${raw}" must be ${what}; using the default.`)
    return undefined
  }
  const simTps = num('simTps', (n) => Number.isFinite(n) && n > 0 && n <= 100_000, 'a number of tokens/s between 0 and 100000')
  const seed = num('seed', (n) => Number.isInteger(n), 'an integer')
  const simPlanSteps = num('simPlanSteps', isSimPlanSteps, `a whole number of steps from ${MIN_SIM_PLAN_STEPS} to ${MAX_SIM_PLAN_STEPS}`)
  const lengthsRaw = q.get('simLengths')
  let simLengths: InitOptions['simLengths']
  if (lengthsRaw !== null) {
    const parsed = parseSimLengths(lengthsRaw)
    const defaults = Object.entries(DEFAULT_SIM_LENGTHS).map(([r, n]) => `${r}:${n}`).join(',')
    if (parsed.ok) simLengths = parsed.value
    else problems.push(`?simLengths="${lengthsRaw}" is not valid (${parsed.reason}); using the defaults ${defaults}.`)
  }
  if (engine !== 'sim' && (simPlanSteps !== undefined || simLengths !== undefined)) problems.push('?simLengths= and ?simPlanSteps= apply to engine=sim only; ignored.')
  const autoloadRaw = q.get('autoload')
  const model = q.get('model')?.trim()

  let localModelsUrl: string | undefined
  try {
    localModelsUrl = new URL('models/', pageHref).href // the server's own mirror, next to the app (tiny-fixture)
  } catch {
    // No usable page URL (tests): the worker defaults to /models/ on its own origin.
  }

  for (const p of problems) log.warn(p)
  return {
    engine,
    ...(engine === 'webllm' && !explicitEngine ? { fallback: true } : {}),
    ...(device !== undefined ? { device } : {}),
    ...(localModelsUrl !== undefined ? { localModelsUrl } : {}),
    autoload: autoloadRaw !== null && autoloadRaw !== '0' && autoloadRaw !== 'false',
    problems,
    ...(model ? { model } : {}),
    ...(modelsBaseUrl !== undefined ? { modelsBaseUrl } : {}),
    ...(simTps !== undefined ? { simTps } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(engine === 'sim' && simLengths !== undefined ? { simLengths } : {}),
    ...(engine === 'sim' && simPlanSteps !== undefined ? { simPlanSteps } : {}),
  }
}
