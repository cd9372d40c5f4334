/**
 * Trust foundations bench (`npm run bench`, or alone: `npx tsx bench/trust.ts`).
 * Measurements, not tests. Per record, in Node's WebCrypto (browsers differ):
 *  - envelope encode (canonical JSON + SHA-256 address), no signature;
 *  - sign, Ed25519 and P-256;
 *  - verify cold (form checks + signature, once per envelope) and cached
 *    (every later read), sequential and with calls in parallel;
 *  - the transport gate's pre-scan of a big board's sync message against
 *    Yjs applying it, side by side.
 * Medians over rounds, interleaved, after a warm-up round.
 */
import { pathToFileURL } from 'node:url'
import * as Y from 'yjs'
import * as decoding from 'lib0/decoding'
import { seededRandom } from '../src/clock'
import { canonicalJson } from '../src/trust/canonical'
import { envelopeHash, signEnvelope, type RecordFields, type SignedEnvelope } from '../src/trust/envelope'
import { EnvelopeVerifier } from '../src/trust/envelope-verifier'
import type { Signer } from '../src/trust/keys'
import { webCryptoVault, webCryptoVerifier } from '../src/trust/webcrypto'
import { scanPeerMessage } from '../src/mesh/transport-caps'
import { boardTraffic, syncStep2Message } from '../tests/unit/board-traffic'

const RECORDS = 400
const ROUNDS = 7
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

const record = (i: number): RecordFields => ({
  room: 'bench-room',
  task: `task-${i.toString(36).padStart(5, '0')}`,
  attempt: 1,
  kind: 'result',
  ts: 1_700_000_000_000 + i,
  payload: { text: 'the swarm answered this task with a paragraph of model output. '.repeat(20), provenance: { engine: 'sim', model: 'sim-tiny', tokens: 300 } },
})

async function timePer(n: number, fn: (i: number) => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) await fn(i)
  return ((performance.now() - t0) * 1000) / n
}

export async function benchTrust(): Promise<string> {
  const ed = (await webCryptoVault(crypto.subtle, ['ed25519']).mint()).signer
  const p256 = (await webCryptoVault(crypto.subtle, ['p256']).mint()).signer
  const rows = new Map<string, number[]>()
  const add = (k: string, v: number) => rows.set(k, [...(rows.get(k) ?? []), v])
  const signAll = async (s: Signer): Promise<SignedEnvelope[]> => Promise.all(Array.from({ length: RECORDS }, (_, i) => signEnvelope(s, record(i))))
  for (let round = 0; round <= ROUNDS; round++) {
    const keep = round > 0 // round 0 warms up the JIT and WebCrypto
    const envelopes = Array.from({ length: RECORDS }, (_, i) => ({ ...record(i), v: 1, node: 'x', key: ed.keyId, sig: 'A'.repeat(86) }))
    const encode = await timePer(RECORDS, (i) => envelopeHash(canonicalJson(envelopes[i])))
    const signEd = await timePer(RECORDS, (i) => signEnvelope(ed, record(i)))
    const signP = await timePer(RECORDS, (i) => signEnvelope(p256, record(i)))
    for (const [alg, signer] of [['Ed25519', ed], ['P-256', p256]] as const) {
      const signed = await signAll(signer)
      const verifier = new EnvelopeVerifier(webCryptoVerifier())
      const slot = { room: 'bench-room' }
      const cold = await timePer(RECORDS, (i) => verifier.verify(signed[i]!.text, slot))
      const cached = await timePer(RECORDS, (i) => verifier.verify(signed[i]!.text, slot))
      const sync = await timePer(RECORDS, (i) => verifier.cached(signed[i]!.text, slot))
      const fresh = new EnvelopeVerifier(webCryptoVerifier())
      const t0 = performance.now()
      await Promise.all(signed.map((s) => fresh.verify(s.text, slot)))
      const parallel = ((performance.now() - t0) * 1000) / RECORDS
      if (keep) {
        add(`${alg} verify, cold (sequential)`, cold)
        add(`${alg} verify, cold (${RECORDS} in parallel)`, parallel)
        add(`${alg} verify, cached (async)`, cached)
        add(`${alg} verify, cached (sync lookup)`, sync)
      }
    }
    if (keep) {
      add('encode (canonical JSON + SHA-256 address)', encode)
      add('Ed25519 sign (encode included)', signEd)
      add('P-256 sign (encode included)', signP)
    }
  }
  const { doc } = boardTraffic(1_000, seededRandom(1))
  const step2 = syncStep2Message(doc)
  const scans: number[] = []
  const applies: number[] = []
  for (let round = 0; round <= 5; round++) {
    let t0 = performance.now()
    const ok = scanPeerMessage(step2, false).ok
    const scan = performance.now() - t0
    if (!ok) throw new Error('the honest board failed the pre-scan')
    const d = decoding.createDecoder(step2)
    decoding.readVarUint(d)
    decoding.readVarUint(d)
    const update = decoding.readVarUint8Array(d)
    t0 = performance.now()
    Y.applyUpdate(new Y.Doc(), update)
    const apply = performance.now() - t0
    if (round > 0) (scans.push(scan), applies.push(apply))
  }
  const sample = (await signAll(ed))[0]!
  const lines = [
    `Signed records, Node ${process.version} WebCrypto; one result record of ${sample.text.length} characters; µs per record, medians of ${ROUNDS} rounds × ${RECORDS}`,
    ...[...rows].map(([k, v]) => `  ${k.padEnd(44)} ${median(v).toFixed(1).padStart(9)} µs`),
    '',
    `Transport gate on a 1,000-task board's sync step 2 (${(step2.length / 1024 / 1024).toFixed(2)} MiB), medians of 5:`,
    `  pre-scan (yjs-update-scan)   ${median(scans).toFixed(1).padStart(8)} ms`,
    `  Y.applyUpdate into a new doc ${median(applies).toFixed(1).padStart(8)} ms`,
    `  pre-scan / apply             ${(median(scans) / median(applies)).toFixed(3).padStart(8)}×`,
  ]
  return lines.join('\n')
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchTrust().then(
    (out) => process.stdout.write(`${out}\n`),
    (err: unknown) => {
      process.stderr.write(`trust bench failed: ${String(err)}\n`)
      process.exit(1)
    },
  )
}
