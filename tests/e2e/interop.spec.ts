/**
 * Interop and hostile-peer checks for the mesh:
 *  - our app works against y-webrtc's stock bin/server.js;
 *  - a client that announces itself on the signaling server and never
 *    connects cannot take the connection slots of honest tabs.
 */
import { test, expect } from '@playwright/test'
import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { WebSocket } from 'ws'
import { closeAll, expectPeerCount, launchPeer, repoRoot, startServer, uniqueRoom, type Peer } from './harness'

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

async function startStockServer(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'node_modules/y-webrtc/bin/server.js')], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('running') && resolve())
    child.on('exit', (code) => reject(new Error(`stock y-webrtc server exited with ${code}`)))
  })
  return child
}

test('two tabs pointed at y-webrtc\'s stock bin/server.js see each other', async () => {
  const server = await startServer()
  const stockPort = await freePort()
  const stock = await startStockServer(stockPort)
  const peers: Peer[] = await Promise.all([launchPeer(), launchPeer()])
  try {
    const room = uniqueRoom('stock')
    const url = `${server.url}/?signaling=ws://127.0.0.1:${stockPort}#room=${room}`
    await Promise.all(peers.map((p) => p.page.goto(url)))
    for (const p of peers) await expectPeerCount(p.page, 1)
    await peers[0]!.page.getByTestId('task-input').fill('Routed through the stock signaling server')
    await peers[0]!.page.getByTestId('task-submit').click()
    await expect(peers[1]!.page.getByTestId('task').filter({ hasText: 'Routed through the stock' })).toHaveCount(1)
  } finally {
    stock.kill()
    await closeAll(peers, server)
  }
})

test('announcers that never connect do not take the slots of honest tabs', async () => {
  const server = await startServer()
  const room = uniqueRoom('hostile')
  const topic = `mindos-swarm/${room}`
  // More fake peers than y-webrtc's maximum of 34 connections per tab.
  const fakeIds = Array.from({ length: Number(process.env.FAKES ?? 40) }, (_, i) => `fake-peer-${i}-${Math.random().toString(36).slice(2)}`)
  const hostile = new WebSocket(server.signalingUrl)
  await new Promise((resolve, reject) => {
    hostile.once('open', resolve)
    hostile.once('error', reject)
  })
  const announce = (): void => {
    hostile.send(JSON.stringify({ type: 'subscribe', topics: [topic] }))
    for (const from of fakeIds) hostile.send(JSON.stringify({ type: 'publish', topic, data: { type: 'announce', from } }))
  }
  // Whenever an honest tab announces, the hostile client answers with its whole crowd again.
  hostile.on('message', (raw) => {
    const frame = JSON.parse(String(raw)) as { type?: string; data?: { type?: string; from?: string } }
    if (frame.type === 'publish' && frame.data?.type === 'announce' && !fakeIds.includes(frame.data.from ?? '')) announce()
  })
  announce()
  const peers: Peer[] = await Promise.all([launchPeer(), launchPeer(), launchPeer()])
  try {
    await Promise.all(peers.map((p) => p.page.goto(`${server.url}/#room=${room}`)))
    for (const p of peers) await expectPeerCount(p.page, 2)
    for (const p of peers) await expect(p.page.getByTestId('peer')).toHaveCount(2)
  } catch (err) {
    for (const p of peers) console.log(JSON.stringify(await p.page.evaluate(() => (window as unknown as { __mindos: { mesh: () => unknown } }).__mindos.mesh()), null, 1))
    for (const p of peers) console.log(await p.page.getByTestId('connection-status').getAttribute('title'), await p.page.getByTestId('peer-count').textContent(), p.logs.filter((l) => !/fake-pee|joined|loaded from/.test(l)).slice(-10).join('\n'))
    throw err
  } finally {
    hostile.close()
    await closeAll(peers, server)
  }
})
