/**
 * The node panel: this tab's engine, honestly labelled (engine, model,
 * backend, state, tok/s, last error, a SIMULATED badge, a TEST FIXTURE badge
 * for models that only prove an engine path), its capabilities,
 * model choice with download progress and cancel, the model cache, and a
 * small "try a prompt" box so a person can check the engine works; its
 * streamed reply reaches the DOM at most once per frame (frame-text.ts).
 * Plain DOM; every string goes through text nodes (see dom.ts).
 */
import type { ControllerSnapshot, EngineController } from '../inference/engine-controller'
import { checkSchema } from '../inference/schema-check'
import { verdictSchema } from '../roles/verdict'
import type { CapabilityProbe } from '../inference/types'
import { h, replaceChildren, setText } from './dom'
import { createFrameText } from './frame-text'

/**
 * The try box's JSON mode asks for the verifier's own verdict schema: small,
 * checkable at a glance, and exactly what grammar-constrained engines compile
 * for the verifier role, so trying it also warms that grammar.
 */
const TRY_SCHEMA = verdictSchema()

const BUSY_STATES = new Set(['downloading', 'loading', 'generating', 'no-webgpu'])

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '?' : `${Math.round(bytes / 2 ** 20)} MB`
}

function engineLabel(s: ControllerSnapshot): string {
  return s.engine === 'sim' ? 'Simulated engine' : s.engine === 'webllm' ? 'WebLLM' : s.engine === 'transformers' ? 'transformers.js' : s.engine
}

const FIXTURE_NOTE = 'test fixture: proves the engine path, its output is nonsense'

function capabilitiesText(p: CapabilityProbe | null): string {
  if (!p) return 'Probing this device…'
  const parts = [
    p.webgpu ? `WebGPU: ${[p.adapter?.vendor, p.adapter?.architecture].filter(Boolean).join(' / ') || 'adapter'}` : 'WebGPU unavailable',
    p.adapter?.isFallbackAdapter ? 'software fallback' : null,
    p.webgpu ? (p.shaderF16 ? 'shader-f16' : 'no shader-f16') : null,
    p.webgpu ? `~${p.vramBudgetMB} MB GPU budget` : null,
    p.deviceMemoryGB !== undefined ? `${p.deviceMemoryGB} GB RAM` : null,
    `${p.hardwareConcurrency} cores`,
    p.storageQuotaBytes !== undefined ? `storage ${mb(p.storageUsageBytes)} / ${mb(p.storageQuotaBytes)}` : null,
  ]
  return parts.filter(Boolean).join(' · ')
}

export function mountNodePanel(container: HTMLElement, controller: EngineController): () => void {
  const status = h('div', { class: 'engine-status', testid: 'engine-status', role: 'status' })
  const caps = h('div', { class: 'caps muted small', testid: 'capabilities' })
  const select = h('select', { testid: 'model-select', 'aria-label': 'Model' })
  const loadBtn = h('button', { testid: 'model-load', type: 'button' }, 'Load')
  const bar = h('progress', { max: 1, value: 0 })
  const progressText = h('span', { class: 'small' })
  const cancelBtn = h('button', { testid: 'load-cancel', type: 'button' }, 'Cancel')
  const progress = h('div', { testid: 'load-progress', class: 'load-progress', hidden: true }, bar, ' ', progressText, ' ', cancelBtn)
  const cacheList = h('ul', { class: 'cache-list small', testid: 'cache-list' })
  const prompt = h('textarea', { testid: 'try-prompt', rows: 2, placeholder: 'Try a prompt on this node…' })
  const jsonBox = h('input', { type: 'checkbox', testid: 'try-json' })
  const greedyBox = h('input', { type: 'checkbox', testid: 'try-greedy' })
  const runBtn = h('button', { testid: 'try-run', type: 'button' }, 'Run')
  const abortBtn = h('button', { testid: 'try-abort', type: 'button', disabled: true }, 'Stop')
  const output = h('pre', { testid: 'try-output', class: 'try-output' })
  const meta = h('div', { testid: 'try-meta', class: 'muted small' })
  const section = h(
    'section',
    { class: 'panel node-panel', testid: 'node-panel' },
    h('h2', {}, 'This node'),
    status,
    caps,
    h('div', { class: 'model-row' }, select, ' ', loadBtn),
    progress,
    h('details', { class: 'cache' }, h('summary', { class: 'small' }, 'Cached models'), cacheList),
    h('div', { class: 'try composer' }, prompt, h('div', { class: 'composer-row' }, h('span', {}, h('label', { class: 'small' }, jsonBox, ' Reply as JSON (verdict schema)'), ' ', h('label', { class: 'small' }, greedyBox, ' Greedy')), h('span', {}, runBtn, ' ', abortBtn)), output, meta),
  )
  container.append(section)

  let shownModels: ControllerSnapshot['models'] | null = null
  let shownCache = ''
  let trying: AbortController | null = null

  const renderStatus = (s: ControllerSnapshot): void => {
    status.dataset.state = s.state
    status.dataset.engine = s.engine
    status.dataset.simulated = String(s.simulated)
    const tps = s.tokensPerSec !== null ? `${s.tokensPerSec.toFixed(1)} tok/s` : '– tok/s'
    const line =
      s.state === 'no-webgpu'
        ? `WebGPU unavailable: ${(s.probe?.webgpuUnavailableReason ?? 'this browser cannot run models').replace(/\.$/, '')}. This tab still joins the swarm without a model.`
        : `${engineLabel(s)} · ${s.loadedModel ?? 'no model loaded'} · ${s.backend} · ${s.state} · ${tps}`
    const fixture = s.models.find((m) => m.id === s.loadedModel)?.testFixture === true
    replaceChildren(status, [
      s.simulated ? h('span', { class: 'badge sim', testid: 'sim-badge', title: 'Outputs come from a simulation, not a language model' }, 'SIMULATED') : null,
      s.simulated ? ' ' : null,
      fixture ? h('span', { class: 'badge sim', testid: 'fixture-badge', title: `${s.loadedModel}: ${FIXTURE_NOTE}` }, 'TEST FIXTURE') : null,
      fixture ? ' ' : null,
      h('span', { testid: 'engine-line' }, line),
      s.notice && s.state !== 'no-webgpu' ? h('div', { class: 'muted small', testid: 'engine-notice' }, s.notice) : null,
      s.lastError ? h('div', { class: 'error', testid: 'engine-error', 'data-code': s.lastError.code }, `${s.lastError.code}: ${s.lastError.message}`) : null,
    ])
  }

  const renderCaps = (p: CapabilityProbe | null): void => {
    setText(caps, capabilitiesText(p))
    caps.dataset.webgpu = String(p?.webgpu ?? false)
    caps.dataset.vendor = p?.adapter?.vendor ?? ''
    caps.dataset.architecture = p?.adapter?.architecture ?? ''
    caps.dataset.fallback = String(p?.adapter?.isFallbackAdapter ?? false)
    caps.dataset.shaderF16 = String(p?.shaderF16 ?? false)
    caps.dataset.vramBudgetMb = String(p?.vramBudgetMB ?? 0)
  }

  const renderModels = (s: ControllerSnapshot): void => {
    if (s.models !== shownModels) {
      shownModels = s.models
      const options = s.models.map((m) =>
        h('option', { value: m.id }, m.testFixture ? `${m.id} · ${FIXTURE_NOTE}` : `${m.id} · ${m.vramRequiredMB} MB${m.id === s.defaultModel ? ' · default' : ''}${m.supportsJsonSchema ? '' : ' · no JSON'}`),
      )
      replaceChildren(select, options.length > 0 ? options : [h('option', { value: '' }, s.state === 'no-webgpu' ? 'WebGPU unavailable: no models' : 'No models fit this device')])
    }
    if (s.selectedModel && select.value !== s.selectedModel) select.value = s.selectedModel
    select.disabled = s.models.length === 0 || BUSY_STATES.has(s.state)
    loadBtn.disabled = !s.selectedModel || BUSY_STATES.has(s.state)
    setText(loadBtn, s.loadedModel && s.loadedModel === s.selectedModel ? 'Reload' : 'Load')
  }

  const renderProgress = (s: ControllerSnapshot): void => {
    const active = s.state === 'downloading' || s.state === 'loading'
    progress.hidden = !active
    progress.dataset.phase = s.progress?.phase ?? s.state
    const p = s.progress
    bar.value = p?.progress ?? 0
    setText(
      progressText,
      p ? `${Math.round(p.progress * 100)}%${p.loadedBytes !== undefined ? ` · ${mb(p.loadedBytes)}${p.totalBytes !== undefined ? ` of ${mb(p.totalBytes)}` : ''}` : ''} · ${p.text}` : `${s.state}…`,
    )
  }

  const renderCache = (s: ControllerSnapshot): void => {
    const key = JSON.stringify([s.cache, s.loadedModel, s.state])
    if (key === shownCache) return
    shownCache = key
    const cached = s.cache.filter((e) => e.cached)
    replaceChildren(
      cacheList,
      cached.length === 0
        ? [h('li', { class: 'muted' }, 'Nothing cached yet.')]
        : cached.map((e) =>
            h(
              'li',
              { 'data-model-id': e.modelId },
              `${e.modelId} `,
              h('button', { type: 'button', testid: 'cache-delete', 'data-model-id': e.modelId, disabled: e.modelId === s.loadedModel || BUSY_STATES.has(s.state), onclick: () => void controller.deleteCached(e.modelId) }, 'Delete'),
            ),
          ),
    )
  }

  const render = (s: ControllerSnapshot): void => {
    renderStatus(s)
    renderCaps(s.probe)
    renderModels(s)
    renderProgress(s)
    renderCache(s)
    runBtn.disabled = trying !== null || s.state !== 'ready'
  }

  const runTry = async (): Promise<void> => {
    const text = prompt.value.trim() || 'Say hello and name the model you run on.'
    const json = jsonBox.checked
    // Greedy (temperature 0) makes runs repeatable: the same prompt gives the same tokens on every backend.
    const temperature = greedyBox.checked ? 0 : 0.7
    trying = new AbortController()
    abortBtn.disabled = false
    runBtn.disabled = true
    const reply = document.createTextNode('')
    // The box pins itself to the newest text (styles.css, .try-output): no layout reads or scroll writes per frame.
    output.replaceChildren(h('span', { class: 'try-reply' }, reply))
    const shown = createFrameText((text) => reply.appendData(text))
    output.dataset.done = 'false'
    meta.textContent = 'Generating…'
    meta.dataset.result = 'running'
    try {
      const r = await controller.generate(
        {
          messages: [
            { role: 'system', content: json ? 'Judge the statement. Reply only with JSON: {"verdict": "pass"|"fail", "reason": string}.' : 'You are a helpful, concise assistant.' },
            { role: 'user', content: text },
          ],
          maxTokens: 256,
          temperature,
          runId: `try-${Date.now().toString(36)}`,
          signal: trying.signal,
          ...(json ? { jsonSchema: TRY_SCHEMA } : {}),
        },
        (delta) => shown.append(delta),
      )
      let conformance = ''
      if (json) {
        try {
          const errors = checkSchema(TRY_SCHEMA, JSON.parse(r.text))
          conformance = errors.length === 0 ? ' · valid JSON for the schema' : ` · schema violations: ${errors.join('; ')}`
        } catch {
          conformance = ' · not valid JSON'
        }
      }
      meta.textContent = `${r.simulated ? 'SIMULATED · ' : ''}${r.engine} · ${r.model} · ${r.usage.completionTokens} tokens · ${r.usage.decodeTokensPerSec.toFixed(1)} tok/s · ${r.finishReason}${conformance}`
      meta.dataset.result = 'done'
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'INTERNAL'
      meta.textContent = code === 'ABORTED' ? 'Stopped.' : `Failed: ${err instanceof Error ? err.message : String(err)}`
      meta.dataset.result = code === 'ABORTED' ? 'aborted' : 'error'
    } finally {
      shown.finish()
      trying = null
      abortBtn.disabled = true
      output.dataset.done = 'true'
      render(controller.snapshot())
    }
  }

  select.addEventListener('change', () => controller.select(select.value))
  loadBtn.addEventListener('click', () => void controller.load(select.value || null))
  cancelBtn.addEventListener('click', () => void controller.cancelLoad())
  runBtn.addEventListener('click', () => void runTry())
  abortBtn.addEventListener('click', () => trying?.abort())

  render(controller.snapshot())
  const unsubscribe = controller.subscribe(render)
  return () => {
    unsubscribe()
    trying?.abort()
    section.remove()
  }
}
