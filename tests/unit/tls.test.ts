/**
 * `--https`: flag parsing, the kept self-signed certificate (generated once,
 * kept across starts, replaced when it expires soon or misses an address),
 * a provided certificate, and the server really speaking HTTPS and wss://.
 */
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import https from 'node:https'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { ConfigError } from '../../src/errors'
import { DEFAULT_DATA_DIR, parseCliArgs } from '../../signaling-server/cli-args'
import { startSwarmServer } from '../../signaling-server/server'
import { certNames, loadOrCreateSelfSigned, loadProvidedCert, localNames, renewReason } from '../../signaling-server/tls'

const tmp = () => mkdtempSync(path.join(tmpdir(), 'mindos-tls-'))
const NAMES = ['localhost', '127.0.0.1', '::1', 'swarm.test']
const DAY = 24 * 3600 * 1000

describe('parseCliArgs: TLS flags', () => {
  it('plain HTTP by default; --https keeps its certificate in the default data dir or --data', () => {
    expect(parseCliArgs([], {}).tls).toBeUndefined()
    expect(parseCliArgs(['--https'], {}).tls).toEqual({ kind: 'self-signed', dataDir: DEFAULT_DATA_DIR })
    expect(parseCliArgs(['--https', '--data', '/var/lib/swarm'], {}).tls).toEqual({ kind: 'self-signed', dataDir: '/var/lib/swarm' })
  })

  it('--cert with --key is a provided certificate (with or without --https)', () => {
    expect(parseCliArgs(['--cert', 'c.pem', '--key', 'k.pem'], {}).tls).toEqual({ kind: 'provided', certFile: 'c.pem', keyFile: 'k.pem' })
    expect(parseCliArgs(['--https', '--cert', 'c.pem', '--key', 'k.pem'], {}).tls).toMatchObject({ kind: 'provided' })
  })

  it.each([
    [['--cert', 'c.pem'], /--cert and --key go together/],
    [['--key', 'k.pem'], /--cert and --key go together/],
    [['--data', 'd'], /pass --https too/],
    [['--https', '--data', ''], /--data needs a directory/],
    [['--cert', '', '--key', 'k'], /--cert needs a file/],
    [['--cert', 'c', '--key', 'k', '--data', 'd'], /--data is for the self-signed/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCliArgs(argv, {})).toThrow(ConfigError)
    expect(() => parseCliArgs(argv, {})).toThrow(message)
  })
})

describe('self-made certificate (local CA + server certificate)', () => {
  it('is generated once with every name, signed by a kept local CA, kept across starts, owner-only keys', async () => {
    const dir = tmp()
    const first = await loadOrCreateSelfSigned({ dataDir: dir, names: NAMES })
    expect(first.source).toBe('generated')
    expect(first.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    expect(first.names).toEqual(expect.arrayContaining(['localhost', '127.0.0.1', 'swarm.test']))
    const ca = new X509Certificate(first.ca!.cert)
    const leaf = new X509Certificate(first.cert)
    expect(ca.ca).toBe(true)
    expect(leaf.ca).toBe(false)
    expect(leaf.checkIssued(ca) && leaf.verify(ca.publicKey)).toBe(true)
    for (const key of ['key.pem', 'ca-key.pem']) expect(statSync(path.join(dir, 'tls', key)).mode & 0o077).toBe(0)
    const again = await loadOrCreateSelfSigned({ dataDir: dir, names: NAMES })
    expect(again.source).toBe('kept')
    expect(again.fingerprint256).toBe(first.fingerprint256)
    expect(again.ca!.fingerprint256).toBe(first.ca!.fingerprint256)
  })

  it('is re-issued by the same CA, and says why, when it misses a new address or expires soon', async () => {
    const dir = tmp()
    const first = await loadOrCreateSelfSigned({ dataDir: dir, names: NAMES })
    const moved = await loadOrCreateSelfSigned({ dataDir: dir, names: [...NAMES, '192.168.7.9'] })
    expect(moved.source).toBe('generated')
    expect(moved.renewed).toContain('does not name 192.168.7.9')
    expect(moved.fingerprint256).not.toBe(first.fingerprint256)
    expect(moved.ca!.fingerprint256, 'devices that trust the CA keep trusting').toBe(first.ca!.fingerprint256)
    const x509 = new X509Certificate(readFileSync(path.join(dir, 'tls', 'cert.pem')))
    expect(renewReason(x509, NAMES, Date.now())).toBeNull()
    expect(renewReason(x509, NAMES, Date.parse(x509.validTo) - 10 * DAY)).toContain('expires')
  })

  it('an unreadable kept certificate is replaced, not fatal', async () => {
    const dir = tmp()
    await loadOrCreateSelfSigned({ dataDir: dir, names: NAMES })
    writeFileSync(path.join(dir, 'tls', 'cert.pem'), 'garbage')
    const next = await loadOrCreateSelfSigned({ dataDir: dir, names: NAMES })
    expect(next.source).toBe('generated')
    expect(next.renewed).toContain('unusable')
    // A server certificate from another CA (e.g. the CA files were replaced) is re-issued too.
    const other = tmp()
    const foreign = await loadOrCreateSelfSigned({ dataDir: other, names: NAMES })
    writeFileSync(path.join(dir, 'tls', 'cert.pem'), foreign.cert)
    writeFileSync(path.join(dir, 'tls', 'key.pem'), foreign.key)
    expect((await loadOrCreateSelfSigned({ dataDir: dir, names: NAMES })).renewed).toContain('not issued by the kept CA')
  })

  it('localNames covers loopback and the bind address, never the wildcard', () => {
    expect(localNames('10.1.2.3')).toEqual(expect.arrayContaining(['localhost', '127.0.0.1', '::1', '10.1.2.3']))
    expect(localNames('0.0.0.0')).not.toContain('0.0.0.0')
  })

  it('certNames reads DNS and IP entries', async () => {
    const m = await loadOrCreateSelfSigned({ dataDir: tmp(), names: ['a.test', '10.0.0.1'] })
    expect(certNames(new X509Certificate(m.cert))).toEqual(['a.test', '10.0.0.1'])
  })
})

describe('provided certificate', () => {
  it('loads a matching pair and rejects missing files and a key of another certificate', async () => {
    const a = await loadOrCreateSelfSigned({ dataDir: tmp(), names: NAMES })
    const b = await loadOrCreateSelfSigned({ dataDir: tmp(), names: NAMES })
    const dir = tmp()
    const files = { certA: path.join(dir, 'a.pem'), keyA: path.join(dir, 'a.key'), keyB: path.join(dir, 'b.key') }
    writeFileSync(files.certA, a.cert)
    writeFileSync(files.keyA, a.key)
    writeFileSync(files.keyB, b.key)
    const ok = await loadProvidedCert(files.certA, files.keyA)
    expect(ok).toMatchObject({ source: 'provided', fingerprint256: a.fingerprint256 })
    await expect(loadProvidedCert(files.certA, files.keyB)).rejects.toThrow(/does not belong/)
    await expect(loadProvidedCert(path.join(dir, 'nope.pem'), files.keyA)).rejects.toThrow(/cannot read/)
    await expect(loadProvidedCert(files.keyA, files.keyA)).rejects.toThrow(ConfigError)
  })
})

describe('server over TLS', () => {
  it('serves HTTPS and wss:// signaling on one port, trusted by a client that trusts the local CA, and serves the CA', async () => {
    const made = await loadOrCreateSelfSigned({ dataDir: tmp(), names: NAMES })
    const tls = { cert: made.ca!.cert } // what a client trusts: the CA only
    const server = await startSwarmServer({ port: 0, tls: { cert: `${made.cert.trim()}\n${made.ca!.cert}`, key: made.key }, caCert: made.ca!.cert, tinyFixtureDir: false })
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      expect(server.signalingUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/signal$/)
      const body = await new Promise<string>((resolve, reject) => {
        https.get(`${server.url}/healthz`, { ca: tls.cert }, (res) => {
          let text = ''
          res.on('data', (c: Buffer) => (text += c.toString()))
          res.on('end', () => resolve(text))
        }).on('error', reject)
      })
      expect(JSON.parse(body)).toMatchObject({ status: 'ok' })
      const served = await new Promise<{ type: string | undefined; body: string }>((resolve, reject) => {
        https.get(`${server.url}/ca.pem`, { ca: tls.cert }, (res) => {
          let text = ''
          res.on('data', (c: Buffer) => (text += c.toString()))
          res.on('end', () => resolve({ type: res.headers['content-type'], body: text }))
        }).on('error', reject)
      })
      expect(served).toEqual({ type: 'application/x-x509-ca-cert', body: made.ca!.cert })
      const ws = new WebSocket(server.signalingUrl, { ca: tls.cert })
      const pong = await new Promise<unknown>((resolve, reject) => {
        ws.on('open', () => ws.send(JSON.stringify({ type: 'ping' })))
        ws.on('message', (m) => resolve(JSON.parse(String(m))))
        ws.on('error', reject)
      })
      expect(pong).toEqual({ type: 'pong' })
      ws.close()
      // Without the certificate a client refuses the connection: it really is TLS with our certificate.
      await expect(
        new Promise((resolve, reject) => https.get(`${server.url}/healthz`, resolve).on('error', reject)),
      ).rejects.toThrow(/self-signed|certificate/i)
    } finally {
      await server.close()
    }
  })
})
