/**
 * Honest board traffic for measuring the transport caps: a Y.Doc shaped like
 * the signed task board (src/board/record-codec.ts: `records` → envelope
 * text, immutable records under their hash, lease beats and partials under
 * their slot), written the way the app writes it (one transaction per
 * record, partial output streamed in batches, lease beats), with every
 * update captured as y-webrtc would send it. The envelopes have the real
 * shape and size but a dummy signature: sizes and rates are what matter here.
 */
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import type { Random } from '../../src/clock'
import { canonicalJson } from '../../src/trust/canonical'
import { envelopeHash } from '../../src/trust/envelope'

export interface BoardTraffic {
  readonly doc: Y.Doc
  /** Every incremental update, wrapped as a y-webrtc sync message. */
  readonly messages: Uint8Array[]
}

const words = ['swarm', 'tab', 'model', 'verify', 'plan', 'result', 'answer', 'node', 'graph', 'token', 'mesh', 'signal']
const prose = (r: Random, chars: number): string => {
  let s = ''
  while (s.length < chars) s += `${words[Math.floor(r.next() * words.length)]} `
  return s.slice(0, chars)
}

export function updateMessage(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0) // messageSync
  syncProtocol.writeUpdate(e, update)
  return encoding.toUint8Array(e)
}

/** y-webrtc's answer to a newcomer's sync step 1: the whole doc in one message. */
export function syncStep2Message(doc: Y.Doc): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0)
  syncProtocol.writeSyncStep2(e, doc)
  return encoding.toUint8Array(e)
}

/** An Ed25519-sized key id and signature: the bytes every real envelope carries. */
const KEY = `ed25519:${'k'.repeat(43)}`
const SIG = 's'.repeat(86)

function envelope(kind: string, task: string, attempt: number, node: string, payload: unknown): string {
  return canonicalJson({ attempt, key: KEY, kind, node, payload, room: 'lobby', sig: SIG, task, ts: 1_700_000_000_000, v: 1 })
}

export function boardTraffic(tasks: number, r: Random, resultChars = 1_200): BoardTraffic {
  const doc = new Y.Doc()
  const messages: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => messages.push(updateMessage(u)))
  const records = doc.getMap<string>('records')
  const immutable = (text: string) => doc.transact(() => records.set(envelopeHash(text), text))
  for (let t = 0; t < tasks; t++) {
    const id = `task-${t.toString(36).padStart(4, '0')}-${Math.floor(r.next() * 1e6).toString(36)}`
    const node = `node${Math.floor(r.next() * 8)}${'x'.repeat(21)}`
    const stat = { v: 3, id, rootId: id, kind: 'research', role: 'researcher', title: prose(r, 60), prompt: prose(r, 300), deps: [], createdAt: 1_700_000_000_000, createdBy: node, createdByName: 'amber-otter', maxAttempts: 3 }
    immutable(envelope('task', id, 0, node, stat))
    immutable(envelope('claim', id, 1, node, { node, name: 'amber-otter', attempt: 1 }))
    const lease = (beat: number) => doc.transact(() => records.set(`lease/${id}/1/${node}`, envelope('lease', id, 1, node, { node, name: 'amber-otter', attempt: 1, beat })))
    lease(0)
    const text = prose(r, resultChars)
    for (let b = 1; b <= 8; b++) {
      doc.transact(() => records.set(`partial/${id}/1/${node}`, envelope('partial', id, 1, node, { seq: b, text: text.slice(0, Math.ceil((text.length * b) / 8)) })))
      if (b % 3 === 0) lease(b)
    }
    const provenance = { node, name: 'amber-otter', engine: 'sim', model: 'sim-tiny', simulated: true, tokensPerSecMilli: 20_500, startedAt: 1, endedAt: 2, promptTokens: 50, completionTokens: 300 }
    immutable(envelope('result', id, 1, node, { attempt: 1, text, provenance }))
  }
  return { doc, messages }
}
