/**
 * Honest board traffic for measuring the transport caps: a Y.Doc shaped like
 * the task board (src/board/dag-schema.ts: `nodes` → task Y.Map with statics
 * and record maps), written the way the app writes it (one transaction per
 * record, partial output streamed in batches, lease beats), with every
 * update captured as y-webrtc would send it. Self-contained on purpose: the
 * board module is being rewritten, the traffic shape is what matters here.
 */
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import type { Random } from '../../src/clock'

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

export function boardTraffic(tasks: number, r: Random, resultChars = 1_200): BoardTraffic {
  const doc = new Y.Doc()
  const messages: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => messages.push(updateMessage(u)))
  const nodes = doc.getMap<Y.Map<unknown>>('nodes')
  for (let t = 0; t < tasks; t++) {
    const id = `task-${t.toString(36).padStart(4, '0')}-${Math.floor(r.next() * 1e6).toString(36)}`
    const node = `node-${Math.floor(r.next() * 8)}`
    doc.transact(() => {
      const task = new Y.Map<unknown>()
      for (const [k, v] of Object.entries({ v: 2, id, rootId: id, kind: 'research', role: 'researcher', title: prose(r, 60), prompt: prose(r, 300), deps: [], createdAt: Date.now(), createdBy: node, createdByName: 'amber-otter', maxAttempts: 3 })) task.set(k, v)
      for (const m of ['claims', 'leases', 'results', 'requeues', 'partials']) task.set(m, new Y.Map())
      nodes.set(id, task)
    })
    const task = nodes.get(id)!
    const rec = (m: string) => task.get(m) as Y.Map<unknown>
    doc.transact(() => rec('claims').set(`1:${node}`, { node, name: 'amber-otter', attempt: 1 }))
    doc.transact(() => rec('leases').set(`1:${node}`, { node, name: 'amber-otter', attempt: 1, beat: 0 }))
    const text = prose(r, resultChars)
    for (let b = 1; b <= 8; b++) {
      doc.transact(() => rec('partials').set(`1:${node}`, text.slice(0, Math.ceil((text.length * b) / 8))))
      if (b % 3 === 0) doc.transact(() => rec('leases').set(`1:${node}`, { node, name: 'amber-otter', attempt: 1, beat: b }))
    }
    doc.transact(() =>
      rec('results').set(`1:${node}`, {
        attempt: 1,
        text,
        provenance: { node, name: 'amber-otter', engine: 'sim', model: 'sim-tiny', simulated: true, tokensPerSec: 20.5, startedAt: 1, endedAt: 2, promptTokens: 50, completionTokens: 300 },
      }),
    )
  }
  return { doc, messages }
}
