/**
 * A hostile client built ONLY from stock `yjs` + `y-webrtc` and WebCrypto:
 * no code of ours. What it knows of MindOS is the public wire contract
 * (README, "Contract for other clients"): the signaling topic
 * `mindos-swarm/<room>`, y-webrtc's password = the room key, the chunk frame,
 * and the signed board: `doc.getMap('records')`, address → envelope text
 * (canonical JSON, stored under its hash), re-implemented in wire.ts. It
 * publishes no presence (stock awareness stays `{}`), as an attacker would.
 *
 * Its attacks, each as strong as an attacker can make it (canonical text,
 * the right address, a signature of the right length, or a real signature
 * by its own key), so an honest tab can only catch them on what matters:
 *   - rewriteRecords: every record's texts replaced, old signature kept, same address;
 *   - replayRecords:  honest envelopes under other addresses, and moved into other tasks, attempts, rooms;
 *   - signAsSelf:     valid signatures by its own key on results, verdicts, claims and partials of honest
 *                     attempts it never won (backdated, equivocating), and on tasks under honest ids;
 *   - sybil:          several fresh keys, none equivocating, each a backdated claimant with a lease and a
 *                     forged result for every honest attempt;
 *   - forgeRoots:     task records under an honest task id and an honest node id, with a garbage signature;
 *   - deleteAll:      every address deleted;
 *   - junkRecords:    non-strings, Y types, huge and non-JSON strings, odd keys in the records map;
 *   - overwriteOldNodes: a schema-v2 board in the old `nodes` map;
 *   - floods (junk, oversized, floodUpdates; floods.ts) against the transport caps.
 *
 * Bundled for the browser at test time and driven through `window.hostile`
 * by tests/e2e/hostile/launch.ts.
 */
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'
import { FORGED_JUNK, FORGED_RESULT, FORGED_TASK, JUNK_MAP, OLD_NODES_MAP, RECORDS_MAP, SENTINEL_MAP } from './names'
import { bytesFlood, oversizedUpdate, updateFlood, type ConnLike, type FloodTarget } from './floods'
import { addressOf, canonical, garbageSignature, mintOwnKey, parseEnvelope, randomAddress, replaceString, replaceTexts, type Envelope, type OwnKey } from './wire'

export interface JoinOptions {
  readonly signaling: string
  readonly room: string
  readonly password?: string
}

/** Fields whose strings people read: replaced by a marker in every forgery. */
const TEXT_FIELDS = new Set(['text', 'title', 'prompt', 'reason', 'feedback', 'partial', 'name', 'createdByName'])
/** Immutable kinds live under their hash; leases, partials and requeues (renewed per signer) under `${kind}/${task}/${attempt}/${node}`. */
const PROGRESSIVE = new Set(['lease', 'partial', 'requeue'])
/** One Yjs update per batch stays well under Chromium's 256 KiB data-channel limit (stock y-webrtc drops bigger ones silently). */
const BATCH_CHARS = 120_000

let doc: Y.Doc | null = null
let provider: WebrtcProvider | null = null
let own: OwnKey | null = null
/** Every envelope this client has seen, by address: an attacker keeps what it reads. */
const remembered = new Map<string, { address: string; text: string; env: Envelope }>()
/** Every `${address}\0${text}` this client wrote, so it does not mistake its own forgeries for honest records. */
const mine = new Set<string>()
/** Bytes or updates written by the running flood, for the tests' progress reports. */
let progress = 0

function map(name: string): Y.Map<unknown> {
  if (!doc) throw new Error('hostile client has not joined a room')
  return doc.getMap(name)
}
const records = (): Y.Map<unknown> => map(RECORDS_MAP)

function conns(): ConnLike[] {
  const room = (provider as unknown as { room: { webrtcConns: Map<string, ConnLike> } | null } | null)?.room
  return [...(room?.webrtcConns.values() ?? [])]
}

/** Waits (attacker side, not test synchronisation) until the data channels have drained below `bytes`. */
async function drained(bytes: number): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    const open = conns().filter((c) => c.connected)
    if (open.every((c) => (c.peer._channel?.bufferedAmount ?? 0) < bytes)) return
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** The honest envelopes on the board now (whatever parses as one), with their addresses. */
function envelopes(): { address: string; text: string; env: Envelope }[] {
  const out: { address: string; text: string; env: Envelope }[] = []
  for (const [address, text] of records()) {
    const env = mine.has(`${address}\0${String(text)}`) ? null : parseEnvelope(text)
    if (env) out.push({ address, text: text as string, env })
  }
  return out
}

const floodTarget = (): FloodTarget => ({ map: map(JUNK_MAP), conns, drained, progress: (n) => void (progress = n) })

/** The envelopes on the board now and every one seen before (so forging still works after the board was erased). */
function known(): { address: string; text: string; env: Envelope }[] {
  for (const e of envelopes()) remembered.set(e.address, e)
  return [...remembered.values()]
}

const payloadOf = (env: Envelope): Record<string, unknown> => (typeof env.payload === 'object' && env.payload !== null ? (env.payload as Record<string, unknown>) : {})
const isRoot = (env: Envelope): boolean => env.kind === 'task' && payloadOf(env).kind === 'root'
const markerFor = (env: Envelope): string => (env.kind === 'task' ? FORGED_TASK : FORGED_RESULT)

/** Where a record of this kind is filed by honest writers. */
async function slotAddress(env: Envelope, text: string): Promise<string> {
  return PROGRESSIVE.has(String(env.kind)) ? `${String(env.kind)}/${String(env.task)}/${String(env.attempt)}/${String(env.node)}` : addressOf(text)
}

type Write = readonly [key: string, value: unknown] | readonly [key: string, value: unknown, 'delete']

const sizeOf = (v: unknown): number => (typeof v === 'string' ? v.length : 64)

/** Applies writes in transactions of bounded size, letting the channels drain in between. */
async function writeBatched(target: Y.Map<unknown>, writes: readonly Write[]): Promise<number> {
  let i = 0
  while (i < writes.length) {
    let chars = 0
    const batch: Write[] = []
    while (i < writes.length && (batch.length === 0 || chars + sizeOf(writes[i]![1]) < BATCH_CHARS)) {
      chars += sizeOf(writes[i]![1]) + writes[i]![0].length
      batch.push(writes[i++]!)
    }
    doc!.transact(() => {
      for (const w of batch) {
        if (w[2] === 'delete') target.delete(w[0])
        else {
          target.set(w[0], w[1])
          if (typeof w[1] === 'string') mine.add(`${w[0]}\0${w[1]}`)
        }
      }
    })
    await drained(1024 * 1024)
  }
  return writes.length
}

const hostile = {
  async join(opts: JoinOptions): Promise<void> {
    doc = new Y.Doc()
    own = await mintOwnKey()
    remembered.clear()
    mine.clear()
    provider = new WebrtcProvider(`mindos-swarm/${opts.room}`, doc, {
      signaling: [opts.signaling],
      ...(opts.password ? { password: opts.password } : {}),
    })
  },

  state(): { connected: number; records: number; tasks: number; roots: string[]; results: number; oldNodes: number; ownNode: string | null; progress: number } {
    const tasks = new Set<string>()
    const roots: string[] = []
    let results = 0
    for (const { env } of envelopes()) {
      if (env.kind === 'task') tasks.add(String(env.task))
      if (isRoot(env)) roots.push(String(env.task))
      if (env.kind === 'result' || env.kind === 'verdict') results++
    }
    return { connected: conns().filter((c) => c.connected).length, records: records().size, tasks: tasks.size, roots, results, oldNodes: map(OLD_NODES_MAP).size, ownNode: own?.node ?? null, progress }
  },

  /** Replaces the texts of every record (results, verdict reasons, partials, task titles and prompts), keeping its signature and address. */
  async rewriteRecords(): Promise<{ records: number; texts: number }> {
    const writes: Write[] = []
    const counter = { changed: 0 }
    for (const { address, env } of known()) {
      const before = counter.changed
      const payload = replaceTexts(env.payload, TEXT_FIELDS, markerFor(env), counter)
      if (counter.changed > before) writes.push([address, canonical({ ...env, payload })])
    }
    await writeBatched(records(), writes)
    return { records: writes.length, texts: counter.changed }
  },

  /** Honest envelopes, unchanged, under addresses that are not theirs; and moved (signature kept) into another task, attempt and room. */
  async replayRecords(): Promise<number> {
    const all = known()
    const taskIds = [...new Set(all.map((e) => String(e.env.task)))]
    const writes: Write[] = []
    for (const { text, env } of all) {
      writes.push([randomAddress(), text])
      writes.push([PROGRESSIVE.has(String(env.kind)) ? await addressOf(text) : `${String(env.kind)}/${String(env.task)}/${String(env.attempt)}/${String(env.node)}`, text])
      const otherTask = taskIds.find((t) => t !== env.task)
      const moved: Envelope[] = [
        { ...env, attempt: Number(env.attempt) + 1 },
        { ...env, room: `${String(env.room)}-elsewhere` },
        ...(otherTask ? [{ ...env, task: otherTask }] : []),
      ]
      for (const m of moved) {
        const t = canonical(m)
        writes.push([await slotAddress(m, t), t])
      }
    }
    return writeBatched(records(), writes)
  },

  /**
   * Real signatures by the hostile page's own key, on records it has no
   * right to: every honest result, verdict, claim and partial re-signed as
   * its own with forged text (claims backdated before the honest ones), a
   * second, different version of each result (equivocation), and every
   * honest task re-signed with a forged title, once naming itself as the
   * creator (the id still carries the honest creator's) and once still
   * naming the honest creator.
   */
  async signAsSelf(): Promise<{ node: string; written: number }> {
    const me = own!
    const writes: Write[] = []
    const counter = { changed: 0 }
    for (const { env } of known()) {
      const kind = String(env.kind)
      if (kind === 'lease') continue
      const moved = replaceString(env.payload, String(env.node), me.node)
      const ts = kind === 'claim' ? Math.max(0, Number(env.ts) - 60_000) : Date.now()
      const body: Envelope = { ...env, node: me.node, key: me.keyId, ts, payload: replaceTexts(moved, TEXT_FIELDS, markerFor(env), counter) }
      const text = await me.sign(body)
      writes.push([await slotAddress(body, text), text])
      if (kind === 'task') {
        // The same forged task, still naming its honest creator.
        const named = await me.sign({ ...body, payload: replaceTexts(env.payload, TEXT_FIELDS, FORGED_TASK, counter) })
        writes.push([await addressOf(named), named])
      }
      if (kind === 'result' || kind === 'verdict') {
        const twin = await me.sign({ ...body, ts: ts + 1, payload: replaceTexts(moved, TEXT_FIELDS, `${FORGED_RESULT} (second version)`, counter) })
        writes.push([await addressOf(twin), twin])
      }
    }
    return { node: me.node, written: await writeBatched(records(), writes) }
  },

  /**
   * Sybils: `keys` fresh keys of its own (keys are free), none of which
   * equivocates. Each signs, for every honest result and verdict, a result of
   * its own for the same task and attempt with forged text, plus a claim
   * (backdated before the honest one) and a lease (beats far ahead) for that
   * attempt, so that it looks like a claimant that started first. Nothing a
   * per-key equivocation check catches: only authorization can.
   */
  async sybil(keys: number): Promise<{ nodes: string[]; written: number }> {
    const honest = known()
    const results = honest.filter((e) => e.env.kind === 'result' || e.env.kind === 'verdict')
    const sameAttempt = (kind: string, of: Envelope) => honest.find((e) => e.env.kind === kind && e.env.task === of.task && e.env.attempt === of.attempt)?.env
    const writes: Write[] = []
    const nodes: string[] = []
    const counter = { changed: 0 }
    for (let k = 0; k < keys; k++) {
      const sybil = await mintOwnKey()
      nodes.push(sybil.node)
      for (const { env } of results) {
        const as = (e: Envelope, extra: Partial<Envelope>): Envelope => ({ ...e, node: sybil.node, key: sybil.keyId, payload: replaceString(e.payload, String(e.node), sybil.node), ...extra })
        const result = as(env, { ts: Math.max(0, Number(env.ts) - 1) })
        const text = await sybil.sign({ ...result, payload: replaceTexts(result.payload, TEXT_FIELDS, FORGED_RESULT, counter) })
        writes.push([await addressOf(text), text])
        const claim = sameAttempt('claim', env)
        if (claim) {
          const t = await sybil.sign(as(claim, { ts: Math.max(0, Number(claim.ts) - 60_000) }))
          writes.push([await addressOf(t), t])
        }
        const lease = sameAttempt('lease', env)
        if (lease) {
          const body = as(lease, { ts: Date.now() })
          const payload = body.payload as Record<string, unknown>
          const t = await sybil.sign({ ...body, payload: { ...payload, beat: Number(payload.beat ?? 0) + 100_000 } })
          writes.push([await slotAddress(body, t), t])
        }
      }
    }
    return { nodes, written: await writeBatched(records(), writes) }
  },

  /** Task records under honest ids with garbage signatures: each root re-titled, and a new root under the victim's node id. */
  async forgeRoots(victimNode: string): Promise<string[]> {
    const writes: Write[] = []
    const forged: string[] = []
    const victimKey = known().find((e) => e.env.node === victimNode)?.env.key
    for (const { env } of known().filter((e) => isRoot(e.env))) {
      const counter = { changed: 0 }
      const payload = replaceTexts(env.payload, TEXT_FIELDS, FORGED_TASK, counter)
      const retitled = canonical({ ...env, ts: Number(env.ts) + 1, payload, sig: garbageSignature() })
      writes.push([await addressOf(retitled), retitled])
      forged.push(String(env.task))
      const fresh = `forged-${Math.random().toString(36).slice(2, 8)}-${victimNode.slice(0, 12)}`
      const asVictim = canonical({ ...env, task: fresh, node: victimNode, ...(victimKey ? { key: victimKey } : {}), payload: replaceString(payload, String(env.task), fresh), sig: garbageSignature() })
      writes.push([await addressOf(asVictim), asVictim])
      forged.push(fresh)
    }
    await writeBatched(records(), writes)
    return forged
  },

  /** Deletes every address on the board. */
  async deleteAll(): Promise<number> {
    known()
    return writeBatched(records(), [...records().keys()].map((k): Write => [k, null, 'delete']))
  },

  /** Values that are no envelope, under real-looking and odd keys. */
  async junkRecords(): Promise<number> {
    const honest = known()[0]
    const spaced = honest ? JSON.stringify(JSON.parse(honest.text), null, 1) : '{}'
    const nested = new Y.Map<unknown>()
    nested.set('text', FORGED_JUNK)
    const arr = new Y.Array<unknown>()
    arr.push([FORGED_JUNK, 1, { text: FORGED_JUNK }])
    const ytext = new Y.Text(FORGED_JUNK)
    const values: unknown[] = [
      42, -1.5, true, null, [FORGED_JUNK], { text: FORGED_JUNK }, new Uint8Array([1, 2, 3]),
      nested, arr, ytext,
      '', 'not json {', FORGED_JUNK, JSON.stringify({ text: FORGED_JUNK }), JSON.stringify({ sig: 'x', payload: { text: FORGED_JUNK } }),
      spaced, // an honest envelope, non-canonical
      `"${FORGED_JUNK}${'x'.repeat(150_000)}"`, // over the envelope size limit
    ]
    const writes: Write[] = values.map((v) => [randomAddress(), v])
    writes.push(['__proto__', JSON.stringify({ text: FORGED_JUNK })], ['', FORGED_JUNK], ['k'.repeat(10_000), FORGED_JUNK], ['constructor', 7])
    if (honest) writes.push([await addressOf(spaced), spaced])
    return writeBatched(records(), writes)
  },

  /** A schema-v2 board in the old `nodes` map: a root with a forged title, an entry that is no map, and junk fields. */
  overwriteOldNodes(createdBy: string): number {
    const old = map(OLD_NODES_MAP)
    const id = `oldroot-${Math.random().toString(36).slice(2, 10)}`
    const task = new Y.Map<unknown>()
    const stat = { v: 2, id, rootId: id, kind: 'root', title: FORGED_TASK, prompt: FORGED_TASK, deps: [], createdAt: Date.now(), createdBy, createdByName: 'honest tab', maxAttempts: 3 }
    doc!.transact(() => {
      for (const [k, v] of Object.entries(stat)) task.set(k, v)
      for (const k of ['claims', 'leases', 'results', 'requeues', 'partials']) task.set(k, new Y.Map())
      old.set(id, task)
      old.set('junk-entry', FORGED_JUNK)
      old.set('__proto__', 5)
    })
    return old.size
  },

  /** Writes `totalBytes` of junk in separate updates of `pieceBytes` (each under the 256 KiB frame limit, so they really leave). */
  junk(totalBytes: number, pieceBytes = 200_000): Promise<number> {
    return bytesFlood(floodTarget(), totalBytes, pieceBytes)
  },

  /** One update carrying `bytes` of junk, in chunk frames to every peer (see floods.ts). */
  oversized(bytes: number): number {
    return oversizedUpdate(floodTarget(), bytes)
  },

  /** `n` tiny updates as fast as the channels take them: a message-rate flood. */
  floodUpdates(n: number): Promise<number> {
    return updateFlood(floodTarget(), n)
  },

  /** Marks the end of an attack; see SENTINEL_MAP. */
  sentinel(value: string): void {
    map(SENTINEL_MAP).set('last', value)
  },

  leave(): void {
    provider?.destroy()
    doc?.destroy()
    provider = null
    doc = null
  },
}

/** The client's doc, for checking the attacks' output from Node (never used by the page). */
export function hostileDoc(): Y.Doc | null {
  return doc
}

export type HostileApi = typeof hostile
;(window as unknown as { hostile: HostileApi }).hostile = hostile
