/**
 * Trust foundations, live: two separate Chromium processes (so WebRTC, not
 * BroadcastChannel) with key-pair identities, the transport gate in front of
 * y-webrtc, and a message larger than Chromium's 256 KiB data-channel limit
 * that only arrives because it travels in chunks. Honest traffic must not
 * trip any cap.
 */
import { test, expect, type Page } from '@playwright/test'
import { closeAll, expectPeerCount, launchPeer, reopen, startServer, uniqueRoom, type Peer } from './harness'
import type { SwarmServer } from '../../signaling-server/server'

test.describe.configure({ mode: 'serial' })

let server: SwarmServer
let peers: Peer[] = []
const room = uniqueRoom('trust')
const url = (): string => `http://127.0.0.1:${server.port}/#room=${room}`

interface Snapshot {
  rejections: unknown[]
  distrusted: unknown[]
  awareness: { id?: string; key?: string }[]
}
const snapshot = (page: Page): Promise<Snapshot> => page.evaluate(() => (window as unknown as { __mindos: { mesh: () => Snapshot } }).__mindos.mesh())
const identity = (page: Page): Promise<{ id: string; keyId: string | null }> =>
  page.evaluate(() => {
    const i = (window as unknown as { __mindos: { identity: { id: string; keyId: string | null } } }).__mindos.identity
    return { id: i.id, keyId: i.keyId }
  })

test.beforeAll(async () => {
  server = await startServer()
  peers = await Promise.all([launchPeer(), launchPeer()])
})

test.afterAll(async () => {
  await closeAll(peers, server)
})

test('each tab has a key pair; its node id comes from the key, and presence carries the key', async () => {
  await Promise.all(peers.map((p) => p.page.goto(url())))
  for (const p of peers) await expectPeerCount(p.page, 1)
  const [a, b] = await Promise.all(peers.map((p) => identity(p.page)))
  expect(a!.keyId).toMatch(/^(ed25519|p256):/)
  expect(a!.id).toMatch(/^[a-z2-7]{26}$/)
  expect(a!.id).not.toBe(b!.id)
  await expect(peers[0]!.page.getByTestId('self-id')).toHaveText(a!.id)
  // A sees B's presence with B's key.
  await expect.poll(async () => (await snapshot(peers[0]!.page)).awareness.find((e) => e.id === b!.id)?.key, { timeout: 30_000 }).toBe(b!.keyId)
})

test('a 600 KB update crosses WebRTC in chunks, and honest traffic trips no cap', async () => {
  await peers[0]!.page.evaluate(() => {
    const doc = (window as unknown as { __mindos: { doc: { getMap: (n: string) => { set: (k: string, v: unknown) => void } } } }).__mindos.doc
    doc.getMap('e2e-large').set('blob', 'x'.repeat(600_000))
  })
  await expect
    .poll(
      () =>
        peers[1]!.page.evaluate(() => {
          const doc = (window as unknown as { __mindos: { doc: { getMap: (n: string) => { get: (k: string) => unknown } } } }).__mindos.doc
          return (doc.getMap('e2e-large').get('blob') as string | undefined)?.length ?? 0
        }),
      { timeout: 60_000 },
    )
    .toBe(600_000)
  for (const p of peers) {
    const s = await snapshot(p.page)
    expect(s.rejections).toEqual([])
    expect(s.distrusted).toEqual([])
  }
})

test('a reload keeps the identity and its key', async () => {
  const before = await identity(peers[0]!.page)
  const page = await reopen(peers[0]!, url())
  await expectPeerCount(page, 1)
  expect(await identity(page)).toEqual(before)
})

/** src/trust bundled for the page as one script (window.trust), with the project's own Vite. */
async function trustBundle(): Promise<string> {
  const { build } = await import('vite')
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    build: { write: false, minify: false, lib: { entry: 'src/trust/index.ts', formats: ['iife'], name: 'trust', fileName: 'trust' } },
  })
  const outputs = (Array.isArray(out) ? out : [out]) as { output: { type: string; code?: string }[] }[]
  const chunk = outputs.flatMap((o) => o.output).find((c) => c.type === 'chunk')
  if (!chunk?.code) throw new Error('no bundle produced')
  return chunk.code
}

test('the verified store keeps browser-signed envelopes in IndexedDB across a reload, within quota', async () => {
  const code = await trustBundle()
  const peer = peers[1]!
  const open = async (): Promise<Page> => {
    const page = await peer.context.newPage()
    await page.goto(`http://127.0.0.1:${server.port}/healthz`)
    await page.addScriptTag({ content: code })
    return page
  }
  type T = typeof import('../../src/trust')
  const first = await open()
  const written = await first.evaluate(async () => {
    const t = (window as unknown as { trust: T }).trust
    const { signer } = await t.webCryptoVault().mint()
    const verifier = new t.EnvelopeVerifier(t.webCryptoVerifier())
    const store = await t.VerifiedStore.open(t.indexedDbEnvelopeStorage('mindos-verified-e2e'), 'lobby', { quota: { perKeyCount: 2, perKeyChars: 1e9, totalChars: 1e9 } })
    const outcomes: string[] = []
    for (let i = 0; i < 3; i++) {
      const signed = await t.signEnvelope(signer, { room: 'lobby', task: `task-${i}`, attempt: 1, kind: 'result', ts: i, payload: { text: `answer ${i}` } })
      const check = await verifier.verify(signed.text, { room: 'lobby', address: signed.hash })
      if (!check.ok) return { error: check.reason }
      outcomes.push((await store.add({ envelope: check.envelope, hash: check.hash, text: signed.text })).status)
    }
    return { outcomes, hashes: [...store.hashes()].sort(), key: signer.keyId }
  })
  expect(written).toMatchObject({ outcomes: ['added', 'added', 'over-key-quota'] })
  await first.close()
  const second = await open()
  const restored = await second.evaluate(async () => {
    const t = (window as unknown as { trust: T }).trust
    const store = await t.VerifiedStore.open(t.indexedDbEnvelopeStorage('mindos-verified-e2e'), 'lobby')
    const other = await t.VerifiedStore.open(t.indexedDbEnvelopeStorage('mindos-verified-e2e'), 'elsewhere')
    const verifier = new t.EnvelopeVerifier(t.webCryptoVerifier())
    const valid = await Promise.all([...store.all()].map(async (r) => (await verifier.verify(r.text, { room: 'lobby', address: r.hash })).ok))
    return { hashes: [...store.hashes()].sort(), valid, other: other.hashes().size }
  })
  expect(restored).toEqual({ hashes: (written as { hashes: string[] }).hashes, valid: [true, true], other: 0 })
  await second.close()
})
