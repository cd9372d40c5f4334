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
