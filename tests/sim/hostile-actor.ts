/**
 * A hostile node for the seeded simulation. It runs no scheduler and has no
 * Board on its doc: it reads the raw records every peer can read and writes
 * whatever serves the attack, signed with its own key or not signed at all.
 * Everything it writes that a person could see carries FORGED, so the
 * invariants can check that nothing of it was ever accepted.
 */
import type * as Y from 'yjs'
import type { Random } from '../../src/clock'
import type { NodeId } from '../../src/mesh/protocol'
import { addressOf, RECORDS_KEY, recordFields, type BoardRecord } from '../../src/board/record-codec'
import type { TaskId } from '../../src/board/dag-schema'
import { canonicalJson } from '../../src/trust/canonical'
import { toBase64Url } from '../../src/trust/bytes'
import { signEnvelope } from '../../src/trust/envelope'
import { SIM_ROOM, type SimNode } from './swarm-harness'

export const FORGED = 'FORGED'

export const HostileBehaviour = {
  forgeIds: 'forge-ids',
  erase: 'erase',
  overwrite: 'overwrite',
  passAll: 'pass-all',
  inflate: 'inflate',
  requeueSpam: 'requeue-spam',
  junk: 'junk',
  equivocate: 'equivocate',
} as const
export type HostileBehaviour = (typeof HostileBehaviour)[keyof typeof HostileBehaviour]
export const ALL_BEHAVIOURS: readonly HostileBehaviour[] = Object.values(HostileBehaviour)

interface Seen {
  readonly tasks: Map<string, Record<string, unknown>>
  /** `${task}:${attempt}` → { node, beat } of the newest lease beat seen. */
  readonly leases: Map<string, { task: string; attempt: number; node: string; beat: number }>
  readonly results: Map<string, { task: string; attempt: number }>
  readonly keys: Map<string, string>
  readonly addresses: string[]
}

function read(doc: Y.Doc): Seen {
  const seen: Seen = { tasks: new Map(), leases: new Map(), results: new Map(), keys: new Map(), addresses: [] }
  for (const [address, value] of doc.getMap<unknown>(RECORDS_KEY)) {
    seen.addresses.push(address)
    if (typeof value !== 'string') continue
    let e: { kind?: string; task?: string; attempt?: number; node?: string; key?: string; payload?: Record<string, unknown> }
    try {
      e = JSON.parse(value) as typeof e
    } catch {
      continue
    }
    if (typeof e.node === 'string' && typeof e.key === 'string') seen.keys.set(e.node, e.key)
    const task = String(e.task)
    const attempt = Number(e.attempt)
    if (e.kind === 'task' && e.payload) seen.tasks.set(task, e.payload)
    if (e.kind === 'lease' && e.payload) {
      const k = `${task}:${attempt}`
      const beat = Number(e.payload.beat)
      if ((seen.leases.get(k)?.beat ?? -2) < beat) seen.leases.set(k, { task, attempt, node: String(e.node), beat })
    }
    if (e.kind === 'result' || e.kind === 'verdict') seen.results.set(`${task}:${attempt}`, { task, attempt })
  }
  return seen
}

export class HostileActor {
  private beat = 0
  private stopped = false
  private equivocated = false
  private readonly signed = new Set<string>()

  constructor(
    private readonly node: SimNode,
    private readonly behaviours: readonly HostileBehaviour[],
    private readonly random: Random,
    private readonly honestIds: () => readonly NodeId[],
  ) {}

  /** Attacks every `periodMs` of virtual time until stopped. */
  run(clock: { setTimeout(fn: () => void, ms: number): unknown }, periodMs = 400): void {
    const tick = (): void => {
      if (this.stopped || !this.node.alive) return
      void this.step().finally(() => clock.setTimeout(tick, periodMs))
    }
    clock.setTimeout(tick, periodMs)
  }

  stop(): void {
    this.stopped = true
  }

  private get map(): Y.Map<unknown> {
    return this.node.doc.getMap<unknown>(RECORDS_KEY)
  }

  private pick<T>(xs: readonly T[]): T | undefined {
    return xs.length === 0 ? undefined : xs[Math.floor(this.random.next() * xs.length)]
  }

  /**
   * Signs once per immutable slot: a careful attacker does not equivocate by
   * accident (that would get its key distrusted); `equivocate` does it on purpose.
   */
  private async sign(record: BoardRecord, force = false): Promise<void> {
    const fields = recordFields(SIM_ROOM, record, 1_000 + this.beat)
    const slot = `${fields.kind === 'verdict' ? 'result' : fields.kind}|${fields.task}|${fields.attempt}`
    if (fields.kind !== 'lease' && fields.kind !== 'requeue' && this.signed.has(slot) && !force) return
    this.signed.add(slot)
    const s = await signEnvelope(this.node.signer, fields)
    this.map.set(addressOf(s.envelope, s.hash), s.text)
  }

  private provenance(node: NodeId, tokens: number) {
    return { node, name: 'sim-hostile', engine: 'sim', model: 'sim-fast', simulated: true, tokensPerSec: 40, startedAt: 0, endedAt: 1, promptTokens: 1, completionTokens: tokens }
  }

  async step(): Promise<void> {
    this.beat++
    const seen = read(this.node.doc)
    for (const b of this.behaviours) await this.act(b, seen)
  }

  private async act(b: HostileBehaviour, seen: Seen): Promise<void> {
    const me = this.node.id
    const taskIds = [...seen.tasks.keys()] as TaskId[]
    switch (b) {
      case 'forge-ids': {
        const task = this.pick(taskIds)
        const victim = this.pick(this.honestIds())
        if (!task || !victim) return
        // Signed by us, speaking for an honest node…
        await this.sign({ type: 'result', taskId: task, result: { attempt: 1, text: `${FORGED} by ${me}`, provenance: this.provenance(victim, 5) } })
        // …and "signed" with the honest node's key, with a signature we cannot make.
        const key = seen.keys.get(victim)
        if (!key) return
        const body = { ...recordFields(SIM_ROOM, { type: 'result', taskId: task, result: { attempt: 1, text: `${FORGED} as ${victim}`, provenance: this.provenance(victim, 5) } }, 1), v: 1, node: victim, key }
        const sig = toBase64Url(new Uint8Array(32).map(() => Math.floor(this.random.next() * 256)))
        this.map.set('a'.repeat(52), canonicalJson({ ...body, sig }))
        return
      }
      case 'erase': {
        for (let i = 0; i < 4; i++) {
          const address = this.pick(seen.addresses)
          if (address) this.map.delete(address)
        }
        return
      }
      case 'overwrite': {
        const address = this.pick(seen.addresses)
        const text = address ? this.map.get(address) : undefined
        if (!address || typeof text !== 'string') return
        try {
          const e = JSON.parse(text) as { payload: Record<string, unknown> }
          if ('text' in e.payload) e.payload.text = FORGED
          if ('title' in e.payload) e.payload.title = FORGED
          this.map.set(address, canonicalJson(e))
        } catch {
          /* junk already */
        }
        return
      }
      case 'pass-all': {
        for (const [id, t] of seen.tasks) {
          if (t.kind !== 'verify' || seen.results.has(`${id}:1`)) continue
          const taskId = id as TaskId
          await this.sign({ type: 'claim', taskId, claim: { node: me, name: 'sim-hostile', attempt: 1 } })
          await this.sign({ type: 'lease', taskId, lease: { node: me, name: 'sim-hostile', attempt: 1, beat: this.beat } })
          await this.sign({ type: 'result', taskId, result: { attempt: 1, text: `${FORGED} pass`, verdict: 'pass', reason: FORGED, provenance: this.provenance(me, 1_000_000) } })
        }
        return
      }
      case 'inflate': {
        const task = this.pick(taskIds.filter((id) => seen.tasks.get(id)?.kind !== 'root'))
        if (task) await this.sign({ type: 'result', taskId: task, result: { attempt: 1 + Math.floor(this.random.next() * 2), text: `${FORGED} work`, provenance: this.provenance(me, 10_000_000) } })
        return
      }
      case 'requeue-spam': {
        for (const l of seen.leases.values()) {
          if (seen.results.has(`${l.task}:${l.attempt}`) || l.node === me) continue
          const cause = this.random.next() < 0.5 ? 'holder-lost' : 'claim-stale'
          await this.sign({ type: 'requeue', taskId: l.task as TaskId, requeue: { attempt: l.attempt, cause, reason: `${FORGED} requeue`, by: me, lastBeat: cause === 'holder-lost' ? l.beat : -1 } })
        }
        return
      }
      case 'junk': {
        this.map.set(`junk-${this.beat}`, 'x'.repeat(200 + Math.floor(this.random.next() * 2_000)))
        this.map.set('b'.repeat(52), this.beat)
        return
      }
      case 'equivocate': {
        const task = this.pick(taskIds)
        if (!task || this.equivocated) return
        this.equivocated = true
        await this.sign({ type: 'claim', taskId: task, claim: { node: me, name: 'one', attempt: 7 } }, true)
        await this.sign({ type: 'claim', taskId: task, claim: { node: me, name: 'two', attempt: 7 } }, true)
        return
      }
    }
  }
}
