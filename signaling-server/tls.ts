/**
 * TLS for `--https`: WebGPU (and so inference) needs a secure context, and a
 * phone on the LAN only gets one over HTTPS. Either a real certificate
 * (`--cert FILE --key FILE`), or a self-signed one generated once by
 * `selfsigned` and kept in the data dir (`DIR/tls/cert.pem`, `key.pem`), so a
 * device that trusted it once keeps trusting it across restarts.
 *
 * The self-signed certificate names every address a device could use to reach
 * this machine (localhost, its host name, every interface address, the bind
 * address). It is replaced only when it expires soon or no longer names an
 * address this machine now has (a new LAN IP), and the CLI says so, because
 * devices must then trust it again.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { generate } from 'selfsigned'
import { ConfigError } from '../src/errors'

export interface TlsMaterial {
  readonly cert: string
  readonly key: string
  /** SHA-256 of the DER certificate, "AB:CD:…": what a person compares on the phone. */
  readonly fingerprint256: string
  readonly source: 'provided' | 'generated' | 'kept'
  /** Where the certificate lives (to install it on a device). */
  readonly certPath: string
  readonly names: readonly string[]
  readonly validTo: string
}

export const CERT_FILE = 'cert.pem'
export const KEY_FILE = 'key.pem'
/** Renew a kept certificate this long before it expires. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000
const VALID_DAYS = 825 // the longest validity Apple devices accept for a TLS server certificate

/** Every name and address this machine answers to, for the certificate's subjectAltName. */
export function localNames(bindHost?: string): string[] {
  const names = new Set<string>(['localhost', '127.0.0.1', '::1'])
  const host = os.hostname()
  if (host) {
    names.add(host.toLowerCase())
    if (!host.includes('.')) names.add(`${host.toLowerCase()}.local`) // mDNS name phones resolve
  }
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.add(a.address.replace(/%.*$/, ''))
  if (bindHost && bindHost !== '0.0.0.0' && bindHost !== '::') names.add(bindHost)
  return [...names]
}

const isIp = (name: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':')

/** The names a certificate covers, from its subjectAltName ("DNS:a, IP Address:1.2.3.4"). */
export function certNames(x509: X509Certificate): string[] {
  return (x509.subjectAltName ?? '')
    .split(/,\s*/)
    .map((part) => part.replace(/^(DNS|IP Address):/, '').trim().toLowerCase())
    .filter(Boolean)
}

/** Why a kept certificate must be replaced, or null if it still serves. Pure: tests pass their own clock. */
export function renewReason(x509: X509Certificate, wanted: readonly string[], now: number): string | null {
  const expires = Date.parse(x509.validTo)
  if (!(expires - now > RENEW_BEFORE_MS)) return `it expires on ${x509.validTo}`
  const have = new Set(certNames(x509).map(normaliseIp))
  const missing = wanted.filter((n) => !have.has(normaliseIp(n.toLowerCase())))
  return missing.length ? `it does not name ${missing.join(', ')}` : null
}

/** OpenSSL prints IPv6 SANs in full ("0:0:0:0:0:0:0:1"); compare them in one form. */
function normaliseIp(name: string): string {
  if (!name.includes(':')) return name
  try {
    return new URL(`http://[${name}]/`).hostname
  } catch {
    return name
  }
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8')
  } catch {
    return null
  }
}

function material(cert: string, key: string, source: TlsMaterial['source'], certPath: string): TlsMaterial {
  let x509: X509Certificate
  try {
    x509 = new X509Certificate(cert)
  } catch (err) {
    throw new ConfigError(`${certPath} is not a PEM certificate (${err instanceof Error ? err.message : String(err)})`)
  }
  if (!x509.checkPrivateKey(createKey(key, certPath))) throw new ConfigError(`the key does not belong to the certificate ${certPath}`)
  return { cert, key, fingerprint256: x509.fingerprint256, source, certPath, names: certNames(x509), validTo: x509.validTo }
}

function createKey(pem: string, where: string): ReturnType<typeof createPrivateKey> {
  try {
    return createPrivateKey(pem)
  } catch (err) {
    throw new ConfigError(`the key for ${where} is not a PEM private key (${err instanceof Error ? err.message : String(err)})`)
  }
}

/** `--cert FILE --key FILE`: a certificate the user got elsewhere (e.g. from their own CA or Let's Encrypt). */
export async function loadProvidedCert(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const [cert, key] = await Promise.all([readIfExists(certFile), readIfExists(keyFile)])
  if (cert === null) throw new ConfigError(`--cert: cannot read "${certFile}"`)
  if (key === null) throw new ConfigError(`--key: cannot read "${keyFile}"`)
  return material(cert, key, 'provided', path.resolve(certFile))
}

export interface SelfSignedOptions {
  /** The data dir; the certificate goes to DIR/tls/. */
  readonly dataDir: string
  readonly names: readonly string[]
  readonly now?: number
}

/** The kept self-signed certificate, or a new one when there is none or it no longer fits (see renewReason). */
export async function loadOrCreateSelfSigned(opts: SelfSignedOptions): Promise<TlsMaterial & { renewed?: string }> {
  const dir = path.join(opts.dataDir, 'tls')
  const certPath = path.join(dir, CERT_FILE)
  const keyPath = path.join(dir, KEY_FILE)
  const now = opts.now ?? Date.now()
  const [cert, key] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)])
  let renewed: string | undefined
  if (cert !== null && key !== null) {
    try {
      const kept = material(cert, key, 'kept', certPath)
      const why = renewReason(new X509Certificate(cert), opts.names, now)
      if (why === null) return kept
      renewed = `the kept certificate was replaced: ${why}`
    } catch (err) {
      renewed = `the kept certificate was unusable (${err instanceof Error ? err.message : String(err)})`
    }
  }
  const altNames = opts.names.map((n) => (isIp(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n }))
  const pems = await generate([{ name: 'commonName', value: 'MindOS Swarm (self-signed)' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + VALID_DAYS * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  })
  await mkdir(dir, { recursive: true, mode: 0o700 })
  // The key never leaves this machine: owner-only permissions.
  await writeFile(keyPath, pems.private, { mode: 0o600 })
  await writeFile(certPath, pems.cert, { mode: 0o644 })
  return { ...material(pems.cert, pems.private, 'generated', certPath), ...(renewed ? { renewed } : {}) }
}
