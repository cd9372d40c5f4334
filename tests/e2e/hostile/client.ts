/**
 * A hostile client built ONLY from stock `yjs` + `y-webrtc`: no code of
 * ours. What it knows of MindOS is the public wire contract (README,
 * "Contract for other clients"): the signaling topic `mindos-swarm/<room>`,
 * y-webrtc's password = the room key, and the board layout in
 * `doc.getMap('nodes')` that anyone can read off a synced doc. It publishes
 * no presence (stock awareness stays `{}`), as an attacker would.
 *
 * Bundled for the browser at test time (hostile/bundle.ts) and driven
 * through `window.hostile` by tests/e2e/hostile/launch.ts.
 */
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'
import * as encoding from 'lib0/encoding'
import { JUNK_MAP, SENTINEL_MAP } from './names'

export interface JoinOptions {
  readonly signaling: string
  readonly room: string
  readonly password?: string
}


interface ConnLike {
  connected: boolean
  peer: { _channel?: { bufferedAmount: number }; send: (data: Uint8Array) => void }
}

/** The chunk frame of the wire contract (README: tag 100, src/mesh/chunking.ts), written from its description. */
function chunkFrames(message: Uint8Array, chunkBytes = 240 * 1024): Uint8Array[] {
  const count = Math.ceil(message.length / chunkBytes)
  return Array.from({ length: count }, (_, i) => {
    const e = encoding.createEncoder()
    for (const n of [100, 1, i, count, message.length]) encoding.writeVarUint(e, n)
    encoding.writeVarUint8Array(e, message.subarray(i * chunkBytes, (i + 1) * chunkBytes))
    return encoding.toUint8Array(e)
  })
}

let doc: Y.Doc | null = null
let provider: WebrtcProvider | null = null
/** Bytes or updates written by the running flood, for the tests' progress reports. */
let progress = 0

function nodes(): Y.Map<unknown> {
  if (!doc) throw new Error('hostile client has not joined a room')
  return doc.getMap('nodes')
}

function conns(): ConnLike[] {
  const room = (provider as unknown as { room: { webrtcConns: Map<string, ConnLike> } | null } | null)?.room
  return [...(room?.webrtcConns.values() ?? [])]
}

const asMap = (v: unknown): Y.Map<unknown> | null => (v instanceof Y.Map ? v : null)

/** Waits (attacker side, not test synchronisation) until the data channels have drained below `bytes`. */
async function drained(bytes: number): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    const open = conns().filter((c) => c.connected)
    if (open.every((c) => (c.peer._channel?.bufferedAmount ?? 0) < bytes)) return
    await new Promise((r) => setTimeout(r, 5))
  }
}

const hostile = {
  join(opts: JoinOptions): void {
    doc = new Y.Doc()
    provider = new WebrtcProvider(`mindos-swarm/${opts.room}`, doc, {
      signaling: [opts.signaling],
      ...(opts.password ? { password: opts.password } : {}),
    })
  },

  state(): { connected: number; tasks: number; roots: string[]; results: number; progress: number } {
    const roots: string[] = []
    let results = 0
    for (const [id, v] of nodes()) {
      const m = asMap(v)
      if (m?.get('kind') === 'root') roots.push(id)
      results += asMap(m?.get('results'))?.size ?? 0
    }
    return { connected: conns().filter((c) => c.connected).length, tasks: nodes().size, roots, results, progress }
  },

  /** Overwrites the text of every result on the board, keeping its provenance (so it stays attributed to the honest producer). */
  rewriteResults(text: string): number {
    let n = 0
    doc!.transact(() => {
      for (const v of nodes().values()) {
        const results = asMap(asMap(v)?.get('results'))
        if (!results) continue
        for (const [key, r] of [...results]) {
          results.set(key, { ...(r as object), text })
          n++
        }
      }
    })
    return n
  },

  /** Deletes every root (the task list entries) from the shared map. */
  deleteRoots(): string[] {
    const gone = hostile.state().roots
    doc!.transact(() => gone.forEach((id) => nodes().delete(id)))
    return gone
  },

  /** Adds a root task that claims to come from `nodeId` (a forged author). */
  forgeUnderId(nodeId: string, name: string, title: string): string {
    const id = `forged-${Math.random().toString(36).slice(2, 10)}`
    const task = new Y.Map<unknown>()
    const stat = { v: 2, id, rootId: id, kind: 'root', title, prompt: title, deps: [], createdAt: Date.now(), createdBy: nodeId, createdByName: name, maxAttempts: 3 }
    doc!.transact(() => {
      for (const [k, v] of Object.entries(stat)) task.set(k, v)
      for (const k of ['claims', 'leases', 'results', 'requeues', 'partials']) task.set(k, new Y.Map())
      nodes().set(id, task)
    })
    return id
  },

  /** Writes `totalBytes` of junk in separate updates of `pieceBytes` (each under the 256 KiB frame limit, so they really leave). */
  async junk(totalBytes: number, pieceBytes = 200_000): Promise<number> {
    const map = doc!.getMap(JUNK_MAP)
    let written = 0
    for (let i = 0; written < totalBytes; i++) {
      const len = Math.min(pieceBytes, totalBytes - written)
      map.set(`j${Date.now()}-${i}`, String.fromCharCode(97 + (i % 26)).repeat(len))
      written += len
      progress = written
      await drained(2 * 1024 * 1024)
    }
    return written
  },

  /**
   * One update carrying `bytes` of junk, sent to every peer as a single
   * y-webrtc sync message in chunk frames (stock y-webrtc alone cannot send
   * it: Chromium refuses data-channel messages over 256 KiB).
   */
  oversized(bytes: number): number {
    let update: Uint8Array | null = null
    const grab = (u: Uint8Array): void => void (update = u)
    doc!.on('update', grab)
    doc!.getMap(JUNK_MAP).set(`big${Date.now()}`, 'z'.repeat(bytes))
    doc!.off('update', grab)
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, 0) // y-webrtc messageSync
    encoding.writeVarUint(e, 2) // y-protocols sync update
    encoding.writeVarUint8Array(e, update!)
    const frames = chunkFrames(encoding.toUint8Array(e))
    let sent = 0
    for (const c of conns().filter((c) => c.connected)) {
      try {
        for (const f of frames) c.peer.send(f)
        sent++
      } catch {
        // The channel's buffer is full (Chromium: 16 MB): the first frames are on their way, which is all the attack needs.
        sent++
      }
    }
    return sent
  },

  /** `n` tiny updates as fast as the channels take them: a message-rate flood. */
  async floodUpdates(n: number): Promise<number> {
    const map = doc!.getMap(JUNK_MAP)
    for (let i = 0; i < n; i++) {
      map.set(`f${i % 64}`, i)
      progress = i + 1
      if (i % 200 === 199) await drained(256 * 1024)
    }
    return n
  },

  /** Marks the end of an attack; see SENTINEL_MAP. */
  sentinel(value: string): void {
    doc!.getMap(SENTINEL_MAP).set('last', value)
  },

  leave(): void {
    provider?.destroy()
    doc?.destroy()
    provider = null
    doc = null
  },
}

export type HostileApi = typeof hostile
;(window as unknown as { hostile: HostileApi }).hostile = hostile
