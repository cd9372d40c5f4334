/**
 * The inference worker in real Chromium, through the node panel:
 *  (a) SwiftShader WebGPU: the worker's probe sees a software adapter without
 *      shader-f16, and the model list offers no f16 model;
 *  (b) a model mirror lacking files: loading fails with DOWNLOAD_FAILED or
 *      MODEL_NOT_FOUND, visibly, with no uncaught error, and the tab stays a peer;
 *  (c) no WebGPU at all with an explicit ?engine=webllm (which never falls back to
 *      transformers.js; see transformers.spec.ts for the default): the panel says so, and the tab still joins;
 *  (d) ?engine=sim: streaming, abort, schema-valid JSON, tok/s, SIMULATED label.
 * No real weights are downloaded here (no network): (b) is the real-engine path.
 */
import { test, expect, type Page } from '@playwright/test'
import { closeAll, launchPeer, startServer, uniqueRoom, type Peer } from './harness'

const pageErrors = (peer: Peer) => peer.errors.filter((e) => e.startsWith('pageerror:'))

async function expectStillAPeer(page: Page): Promise<void> {
  await expect(page.getByTestId('self-id')).toBeVisible()
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected')
}

async function modelOptions(page: Page): Promise<string[]> {
  const select = page.getByTestId('model-select')
  await expect(select.locator('option').first()).toHaveAttribute('value', /.+/)
  return select.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))
}

test('SwiftShader: the worker probe reports a software adapter without shader-f16, and no f16 model is offered', async () => {
  const server = await startServer()
  const peer = await launchPeer({ webgpu: true })
  try {
    await peer.page.goto(`${server.url}/#room=${uniqueRoom('inf-swiftshader')}`)
    const caps = peer.page.getByTestId('capabilities')
    await expect(caps).toHaveAttribute('data-webgpu', 'true')
    await expect(caps).toHaveAttribute('data-architecture', 'swiftshader')
    await expect(caps).toHaveAttribute('data-shader-f16', 'false')
    const options = await modelOptions(peer.page)
    expect(options.length).toBeGreaterThan(0)
    for (const id of options) expect(id).not.toMatch(/f16/)
    await expect(peer.page.getByTestId('engine-status')).toHaveAttribute('data-state', 'idle')
    await expect(peer.page.getByTestId('engine-status')).toContainText('WebLLM')
    expect(pageErrors(peer)).toEqual([])
  } finally {
    await closeAll([peer], server)
  }
})

test('a model mirror that lacks the files fails the load visibly and the tab stays a peer', async () => {
  const server = await startServer()
  const peer = await launchPeer({ webgpu: true })
  try {
    const mirror = encodeURIComponent(`${server.url}/models-missing`)
    await peer.page.goto(`${server.url}/?models=${mirror}#room=${uniqueRoom('inf-mirror')}`)
    await modelOptions(peer.page)
    await peer.page.getByTestId('model-load').click()
    const error = peer.page.getByTestId('engine-error')
    await expect(error).toHaveAttribute('data-code', /^(DOWNLOAD_FAILED|MODEL_NOT_FOUND)$/, { timeout: 60_000 })
    await expect(error).toContainText('models-missing')
    await expect(peer.page.getByTestId('engine-status')).toHaveAttribute('data-state', 'error')
    await expect(peer.page.getByTestId('load-progress')).toBeHidden()
    await expectStillAPeer(peer.page)
    expect(pageErrors(peer)).toEqual([])
  } finally {
    await closeAll([peer], server)
  }
})

test('without WebGPU, explicit engine=webllm: the panel says WebGPU is unavailable and the tab still joins', async () => {
  const server = await startServer()
  const peer = await launchPeer()
  try {
    await peer.page.goto(`${server.url}/?engine=webllm#room=${uniqueRoom('inf-nogpu')}`)
    const status = peer.page.getByTestId('engine-status')
    await expect(status).toHaveAttribute('data-state', 'no-webgpu')
    await expect(status).toContainText('WebGPU')
    await expect(status).toContainText('unavailable')
    await expect(peer.page.getByTestId('model-load')).toBeDisabled()
    await expectStillAPeer(peer.page)
    expect(pageErrors(peer)).toEqual([])
  } finally {
    await closeAll([peer], server)
  }
})

test('?engine=sim streams, aborts, returns schema-valid JSON and shows tok/s, labelled SIMULATED', async () => {
  const server = await startServer()
  const peer = await launchPeer()
  const { page } = peer
  try {
    await page.goto(`${server.url}/?engine=sim&simTps=40&seed=7#room=${uniqueRoom('inf-sim')}`)
    const status = page.getByTestId('engine-status')
    await expect(page.getByTestId('sim-badge')).toHaveText('SIMULATED')
    if ((await status.getAttribute('data-state')) !== 'ready') await page.getByTestId('model-load').click()
    await expect(status).toHaveAttribute('data-state', 'ready')
    await expect(status).toContainText(/sim-fast .*40\.0 tok\/s/)

    // Streaming: the output grows token by token, then settles on the full reply.
    await page.getByTestId('try-prompt').fill('Explain how honeybees share the location of flowers')
    await page.getByTestId('try-run').click()
    await expect(page.getByTestId('try-output')).toContainText('[simulated]')
    await expect(page.getByTestId('try-output')).toHaveAttribute('data-done', 'true', { timeout: 30_000 })
    await expect(page.getByTestId('try-output')).toContainText('honeybees')
    await expect(page.getByTestId('try-meta')).toContainText(/SIMULATED · sim · sim-fast · \d+ tokens · 40\.0 tok\/s · stop/)

    // Abort mid-generation: output stops growing and the engine is ready again.
    await page.getByTestId('try-prompt').fill('Write a long history of lighthouses and their keepers')
    await page.getByTestId('try-run').click()
    await expect(page.getByTestId('try-output')).toContainText('[simulated]')
    await page.getByTestId('try-abort').click()
    await expect(page.getByTestId('try-meta')).toHaveAttribute('data-result', 'aborted')
    const stopped = await page.getByTestId('try-output').textContent()
    await page.waitForTimeout(300) // ~12 token intervals at 40 tok/s: nothing may arrive
    expect(await page.getByTestId('try-output').textContent()).toBe(stopped)
    await expect(status).toHaveAttribute('data-state', 'ready')

    // Schema-constrained JSON.
    await page.getByTestId('try-json').check()
    await page.getByTestId('try-prompt').fill('The sky is green.')
    await page.getByTestId('try-run').click()
    await expect(page.getByTestId('try-meta')).toHaveAttribute('data-result', 'done', { timeout: 30_000 })
    await expect(page.getByTestId('try-meta')).toContainText('valid JSON for the schema')
    const verdict = JSON.parse((await page.getByTestId('try-output').textContent()) ?? '') as { verdict: string; reason: string }
    expect(['pass', 'fail']).toContain(verdict.verdict)
    expect(verdict.reason.length).toBeGreaterThan(0)

    await expectStillAPeer(page)
    expect(pageErrors(peer)).toEqual([])
  } finally {
    await closeAll([peer], server)
  }
})
