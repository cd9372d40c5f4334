/**
 * HTTPS for devices on the LAN: `npm start -- --https` as a real process,
 * opened under a name that is not localhost (swarm.test, mapped to 127.0.0.1
 * by Chromium's resolver; the self-signed certificate accepted with
 * --ignore-certificate-errors, as a phone would after trusting it). The page
 * is a secure context, picks wss:// by itself, and two browser processes mesh.
 */
import { test, expect } from '@playwright/test'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { closeAll, expectPeerCount, launchPeer, repoRoot, uniqueRoom, type Peer } from './harness'

const LAN_FLAGS = ['--host-resolver-rules=MAP swarm.test 127.0.0.1', '--ignore-certificate-errors']

/** Starts the CLI and resolves with its banner once it is listening. */
function startCli(args: string[]): Promise<{ child: ChildProcess; banner: string }> {
  const child = spawn(path.join(repoRoot, 'node_modules', '.bin', 'tsx'), ['signaling-server/index.ts', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      if (/trust it: .*\n/.test(out)) resolve({ child, banner: out })
    })
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${err}${out}`)))
  })
}

test('--https: a non-localhost name is a secure context and two processes mesh over wss', async () => {
  const data = mkdtempSync(path.join(tmpdir(), 'mindos-https-'))
  const { child, banner } = await startCli(['--https', '--port', '0', '--no-build', '--data', data])
  const peers: Peer[] = []
  try {
    const port = Number(/open: +https:\/\/127\.0\.0\.1:(\d+)\//.exec(banner)?.[1])
    expect(port).toBeGreaterThan(0)
    expect(banner).toMatch(/signaling: wss:\/\/127\.0\.0\.1:\d+\/signal/)
    expect(banner).toContain("issued by this server's local CA, issued now")
    expect(banner).toMatch(new RegExp(`local CA: +${path.join(data, 'tls', 'ca.pem').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}`))
    const url = `https://swarm.test:${port}/?engine=sim#room=${uniqueRoom('https')}`
    peers.push(await launchPeer({ args: LAN_FLAGS }), await launchPeer({ args: LAN_FLAGS }))
    await Promise.all(peers.map((p) => p.page.goto(url)))
    for (const p of peers) {
      expect(await p.page.evaluate(() => ({ secure: isSecureContext, protocol: location.protocol, host: location.hostname }))).toEqual({ secure: true, protocol: 'https:', host: 'swarm.test' })
      await expect(p.page.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected')
      await expect(p.page.getByTestId('connection-status')).toHaveAttribute('title', new RegExp(`Signaling: wss://swarm\\.test:${port}/signal \\(1 connected\\)`))
      await expectPeerCount(p.page, 1)
    }
    // The board syncs over the mesh found through wss.
    await peers[0]!.page.getByTestId('task-input').fill('Say hello over TLS')
    await peers[0]!.page.getByTestId('task-submit').click()
    await expect(peers[1]!.page.getByTestId('task')).toContainText('Say hello over TLS')
    for (const p of peers) expect(p.errors).toEqual([])
  } finally {
    await closeAll(peers)
    const exited = new Promise((resolve) => child.once('exit', resolve))
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
  }
})
