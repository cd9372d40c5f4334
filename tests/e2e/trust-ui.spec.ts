/**
 * The trust UI in a real Chromium DOM: each result names its signer with a
 * key fingerprint and trust, the swarm panel lists rejected writers (those
 * without presence as unknown, by client id or mesh peer id) with reasons,
 * the ledger shows trust, and hostile strings stay text. The page is the
 * real UI modules bundled with vite and fed fixture data (trust-ui/page.ts);
 * it needs no server, mesh or engine.
 */
import { test, expect } from '@playwright/test'
import path from 'node:path'
import { build, type Rolldown } from 'vite'
import { closeAll, launchPeer, repoRoot, type Peer } from './harness'

let peer: Peer
let script = ''

test.beforeAll(async () => {
  const out = (await build({
    configFile: false,
    logLevel: 'warn',
    root: repoRoot,
    build: { write: false, minify: false, lib: { entry: path.join(repoRoot, 'tests/e2e/trust-ui/page.ts'), formats: ['iife'], name: 'trustUiPage', fileName: 'page' } },
  })) as Rolldown.RolldownOutput | Rolldown.RolldownOutput[]
  const chunk = (Array.isArray(out) ? out[0]! : out).output.find((o) => o.type === 'chunk')
  if (!chunk || chunk.type !== 'chunk') throw new Error('the trust UI page did not bundle')
  script = chunk.code
  peer = await launchPeer()
  await peer.page.setContent('<!doctype html><html><body></body></html>')
  await peer.page.addScriptTag({ content: script })
  await peer.page.evaluate(() => (window as unknown as { __trustUi: { mount: () => unknown } }).__trustUi.mount())
})

test.afterAll(async () => {
  await closeAll(peer ? [peer] : [])
})

test('the final answer and every result in the node detail name their signer, key fingerprint and trust', async () => {
  const { page } = peer
  const answerSigner = page.locator('.final [data-testid="provenance"] [data-testid="signer"]')
  await expect(answerSigner).toHaveAttribute('data-node', 'researcherresearcherresear')
  await expect(answerSigner.getByTestId('key-fingerprint')).toHaveText('research')
  await expect(answerSigner).toContainText('<img src=x onerror="window.__pwned=1"> · key research · trust 0.91')
  const detail = page.getByTestId('node-detail')
  await expect(detail.getByTestId('provenance').getByTestId('signer')).toHaveText('n-rche · key research · trust 0.91')
  await expect(detail.getByTestId('verdict')).toHaveText(/^pass by vera · key verifier · trust 0\.9\d \(attempt 1\): cites its sources$/)
})

test('the swarm panel lists rejected writers with reasons; writers without presence are unknown, by client or mesh id', async () => {
  const { page } = peer
  await expect(page.getByTestId('rejections')).toBeVisible()
  const rows = page.getByTestId('rejection')
  await expect(rows).toHaveCount(4)
  // Distrusted first (with its evidence), then most rejected first.
  expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-writer')))).toEqual(['liarliarliarliarliarliarli', 'mesh:ghostpeer-0001', 'client:424242', 'verifierverifierverifierve'])
  const liar = rows.nth(0)
  await expect(liar).toContainText('unknown (no presence)')
  await expect(liar.getByTestId('trust-badge')).toHaveText('distrusted')
  await expect(liar).toContainText('distrusted: equivocated: two results for attempt 1')
  const ghost = rows.nth(1)
  await expect(ghost).toHaveAttribute('data-known', 'false')
  await expect(ghost).toContainText('mesh peer ghostpeer-00')
  await expect(ghost).toContainText('cut off')
  await expect(ghost.getByTestId('rejection-reason')).toHaveText(['message-rate × 9 (transport)'])
  const client = rows.nth(2)
  await expect(client).toContainText('client 424242')
  await expect(client.getByTestId('rejection-reason')).toHaveText(['not-an-envelope × 5', '<img src=x onerror="window.__pwned=1"> × 1'])
  const vera = rows.nth(3)
  await expect(vera).toHaveAttribute('data-known', 'true')
  await expect(vera).toContainText('vera')
  await expect(vera.getByTestId('rejection-reason')).toHaveText(['too-large × 2 (transport)', 'bad-signature × 1'])
  await expect(page.getByTestId('peer').getByTestId('peer-trust')).toContainText('3 rejected')
})

test('the ledger shows each key with its fingerprint and trust', async () => {
  const { page } = peer
  const rows = page.getByTestId('ledger-row')
  expect(await rows.evaluateAll((els) => els.map((e) => [e.getAttribute('data-node'), e.getAttribute('data-trust')]))).toEqual([
    ['researcherresearcherresear', '0.91'],
    ['verifierverifierverifierve', '0.91'],
    ['plannerplannerplannerplann', '0.90'],
  ])
  await expect(rows.first().getByTestId('key-fingerprint')).toHaveText('research')
  await expect(rows.first().getByTestId('ledger-trust')).toHaveText('0.91')
})

test('hostile strings stay text: no element was parsed from them and nothing ran', async () => {
  const { page } = peer
  expect(await page.locator('img').count()).toBe(0)
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined()
  expect(peer.errors).toEqual([])
})
