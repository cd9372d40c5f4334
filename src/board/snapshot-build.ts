/**
 * From verified records to task snapshots: the part of authorization that
 * needs no derived status. Pure and order-independent: the same records
 * give the same snapshots and the same distrusted keys on every tab.
 *
 *  - Equivocation: two different envelopes one key signed for one immutable
 *    slot (kind, task, attempt) are evidence; that key is distrusted for good
 *    and none of its records count. Both envelopes stay in the doc (content
 *    addressed, put back when deleted), so every tab sees the same evidence.
 *  - Who may write a task's statics (so nobody can forge a task under an
 *    id that belongs to someone else):
 *      root   its id ends with `-` + the first 12 characters of the signer's node id;
 *      plan   `<root>-plan`, signed by the root's creator;
 *      child  signed by the node of its origin result key (`<parent>/<k>:<node>`),
 *             with `-<k>-<node>` in its id (graph-builders.ts derives child ids so),
 *             and a verify node's `verifies` must name exactly that result.
 *  - Records about tasks nobody (authorized) created are kept aside, not shown.
 */
import type { NodeId } from '../mesh/protocol'
import type { RecordKind } from '../trust/envelope'
import type { BoardRecord } from './record-codec'
import { recordKey, type Claim, type Lease, type Requeue, type TaskId, type TaskResult, type TaskSnapshot, type TaskStatic } from './dag-schema'

/** A record as authorization sees it: who signed it, for which slot, under which content hash. */
export interface RecordEntry {
  readonly node: NodeId
  readonly kind: RecordKind
  readonly task: string
  readonly attempt: number
  /** Content hash of the envelope (a stand-in for this tab's own records still being signed). */
  readonly hash: string
  readonly record: BoardRecord
}

export interface BuiltBoard {
  readonly tasks: TaskSnapshot[]
  /** Keys caught equivocating → what they did. */
  readonly distrusted: ReadonlyMap<NodeId, string>
  /** Records dropped by authorization, per signer and reason. */
  readonly unauthorized: readonly { readonly signer: NodeId; readonly reason: string }[]
}

export const ROOT_OWNER_CHARS = 12

/** The suffix a root id carries so only its creator can write it. */
export function rootOwnerSuffix(node: NodeId): string {
  return `-${node.slice(0, ROOT_OWNER_CHARS)}`
}

function equivocationSlot(r: RecordEntry): string | null {
  const e = r
  switch (e.kind) {
    case 'lease':
    case 'partial':
    case 'requeue':
      return null // progressive: newer versions replace older ones by design
    case 'verdict':
      return `result|${e.task}|${e.attempt}|${e.node}` // a result and a verdict for one attempt are one slot
    default:
      return `${e.kind}|${e.task}|${e.attempt}|${e.node}`
  }
}

export function findEquivocators(records: Iterable<RecordEntry>): Map<NodeId, string> {
  const bySlot = new Map<string, { node: NodeId; hashes: Set<string> }>()
  for (const r of records) {
    const slot = equivocationSlot(r)
    if (!slot) continue
    const entry = bySlot.get(slot) ?? { node: r.node, hashes: new Set<string>() }
    entry.hashes.add(r.hash)
    bySlot.set(slot, entry)
  }
  // Each key's reason names its smallest doubled slot, so it does not depend on arrival order.
  const out = new Map<NodeId, string>()
  for (const slot of [...bySlot.keys()].sort()) {
    const { node, hashes } = bySlot.get(slot)!
    if (hashes.size < 2 || out.has(node)) continue
    const [kind, task, attempt] = slot.split('|')
    out.set(node, `signed two different ${kind} records for ${task} attempt ${attempt}`)
  }
  return out
}

/** Why `signer` may not write these statics, or null when it may. Needs the statics of other tasks for plans and children. */
export function staticDenial(task: TaskStatic, signer: NodeId, staticsOf: (id: TaskId) => TaskStatic | undefined): string | null {
  if (task.createdBy !== signer) return 'statics not created by their signer'
  switch (task.kind) {
    case 'root':
      return task.id.endsWith(rootOwnerSuffix(signer)) && task.rootId === task.id ? null : 'a root id must end with its creator’s id'
    case 'plan':
      return task.id === `${task.rootId}-plan` && task.rootId.endsWith(rootOwnerSuffix(signer)) ? null : 'only a root’s creator writes its plan'
    default: {
      if (!task.origin) return 'a child task needs its origin'
      const slash = task.origin.indexOf('/')
      const parentId = task.origin.slice(0, slash) as TaskId
      const resultKey = task.origin.slice(slash + 1)
      const colon = resultKey.indexOf(':')
      const attempt = resultKey.slice(0, colon)
      const node = resultKey.slice(colon + 1)
      if (slash < 0 || colon < 0 || node !== signer) return 'only the author of the result named in origin creates its children'
      if (!task.id.includes(`-${attempt}-${node}`)) return 'a child id must carry its origin result'
      const parent = staticsOf(parentId)
      if (!parent) return 'origin task unknown'
      if (parent.rootId !== task.rootId) return 'child and origin belong to different roots'
      const parentKindOk = task.kind === 'verify' ? parent.kind === 'research' : parent.kind === 'plan'
      if (!parentKindOk) return `a ${task.kind} node cannot come from a ${parent.kind} result`
      if (task.kind === 'verify') {
        const v = task.verifies
        if (!v || v.taskId !== parentId || v.resultKey !== resultKey || v.producer !== node || String(v.attempt) !== attempt) return 'verifies does not match origin'
      }
      return null
    }
  }
}

interface Bucket {
  claims: Map<string, Claim>
  leases: Map<string, Lease>
  results: Map<string, TaskResult>
  requeues: Map<string, Requeue>
  partials: Map<string, { seq: number; text: string }>
}

export function buildSnapshots(records: readonly RecordEntry[]): BuiltBoard {
  const distrusted = findEquivocators(records)
  const unauthorized: { signer: NodeId; reason: string }[] = []
  const candidates = new Map<TaskId, RecordEntry[]>()
  const buckets = new Map<TaskId, Bucket>()
  const bucket = (id: TaskId): Bucket => {
    let b = buckets.get(id)
    if (!b) buckets.set(id, (b = { claims: new Map(), leases: new Map(), results: new Map(), requeues: new Map(), partials: new Map() }))
    return b
  }
  for (const r of records) {
    if (distrusted.has(r.node)) continue
    const rec = r.record
    switch (rec.type) {
      case 'task': {
        const list = candidates.get(rec.task.id) ?? []
        list.push(r)
        candidates.set(rec.task.id, list)
        break
      }
      case 'claim':
        bucket(rec.taskId).claims.set(recordKey(rec.claim.attempt, rec.claim.node), rec.claim)
        break
      case 'lease': {
        const b = bucket(rec.taskId)
        const key = recordKey(rec.lease.attempt, rec.lease.node)
        const had = b.leases.get(key)
        if (!had || rec.lease.beat > had.beat) b.leases.set(key, rec.lease)
        break
      }
      case 'result':
        bucket(rec.taskId).results.set(recordKey(rec.result.attempt, rec.result.provenance.node), rec.result)
        break
      case 'requeue': {
        const b = bucket(rec.taskId)
        const key = recordKey(rec.requeue.attempt, rec.requeue.by)
        const had = b.requeues.get(key)
        if (!had || (rec.requeue.lastBeat ?? -1) > (had.lastBeat ?? -1)) b.requeues.set(key, rec.requeue)
        break
      }
      case 'partial': {
        const b = bucket(rec.taskId)
        const key = recordKey(rec.attempt, rec.node)
        const had = b.partials.get(key)
        if (!had || rec.seq > had.seq) b.partials.set(key, { seq: rec.seq, text: rec.text })
        break
      }
    }
  }
  // A task's statics, from its one authorized writer. Resolved lazily (a child needs its parent's statics).
  const resolved = new Map<TaskId, TaskStatic | null>()
  const staticsOf = (id: TaskId, depth = 0): TaskStatic | undefined => {
    if (resolved.has(id)) return resolved.get(id) ?? undefined
    if (depth > 16) return undefined // origins deeper than any real graph are forged
    resolved.set(id, null) // a cycle of origins resolves to "unknown"
    let chosen: TaskStatic | null = null
    const list = [...(candidates.get(id) ?? [])].sort((a, b) => a.hash.localeCompare(b.hash))
    for (const r of list) {
      const task = (r.record as { task: TaskStatic }).task
      const denial = staticDenial(task, r.node, (pid) => staticsOf(pid, depth + 1))
      if (denial) unauthorized.push({ signer: r.node, reason: denial })
      else chosen ??= task
    }
    resolved.set(id, chosen)
    return chosen ?? undefined
  }
  const tasks: TaskSnapshot[] = []
  for (const id of [...candidates.keys()].sort()) {
    const s = staticsOf(id)
    if (!s) continue
    const b = buckets.get(id) ?? bucket(id)
    tasks.push({ ...s, claims: b.claims, leases: b.leases, results: b.results, requeues: b.requeues, partials: new Map([...b.partials].map(([k, p]) => [k, p.text])) })
  }
  return { tasks, distrusted, unauthorized }
}
