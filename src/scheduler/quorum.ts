/**
 * Quorum verification for public tasks (pure).
 *
 * A root carries its quorum k (and the keys its submitter had seen). Each
 * research result then gets k verify slots, and a tiebreak slot k + 1 when
 * k ≥ 2. The result passes when all k slots pass; it fails when all k fail;
 * a disagreement escalates once, to the tiebreak, whose verdict decides.
 * A verify slot that gave up (its attempts ran out) leaves the result
 * "unverified", as with a single verifier.
 *
 * Who may fill a slot (derive.ts ranks everyone else after them, so any of
 * them outranks an ineligible key even after it finished): not the producer;
 * not a key that already decided a lower main slot of the same result (one
 * key, one vote; the tiebreak may fall to a voter in a room of k + 1 tabs);
 * and, when the root lists the keys its submitter had seen and enough of
 * them are left to fill the quorum, only those keys, so fresh keys made
 * after the task cannot stack its quorum. Where nobody eligible is left (the
 * room shrank), an ineligible key may still decide a slot, so the task
 * finishes; but a pass counts as "passed" only from k different keys, none
 * of them the producer: otherwise the step is "unverified", and says so.
 * Private tasks never get a quorum (their board has one tab).
 */
import type { NodeId } from '../mesh/protocol'
import type { TaskSnapshot } from '../board/dag-schema'

export type SlotState = 'open' | 'pass' | 'fail' | 'gave-up'

export interface SlotView {
  /** 1..k, or k + 1 for the tiebreak. */
  readonly slot: number
  readonly state: SlotState
  readonly reason?: string
  /** Who decided it: a pass counts as a check only from as many different keys as the quorum asks. */
  readonly signer?: string
}

export type QuorumOutcome = { readonly state: 'pending' } | { readonly state: 'passed' } | { readonly state: 'unverified' } | { readonly state: 'failed'; readonly feedback?: string }

/**
 * The quorum a new public task gets: the room's setting, else 2 once 3 or
 * more tabs can verify (so a result has a producer and 2 others), else 1;
 * never more than the other tabs can fill.
 */
export function quorumForNewTask(setting: number | undefined, verifierTabs: number): number {
  const wanted = setting ?? (verifierTabs >= 3 ? 2 : 1)
  return Math.max(1, Math.min(wanted, verifierTabs - 1, 4))
}

export function quorumOf(root: TaskSnapshot | undefined): number {
  return root?.quorum ?? 1
}

/** The slot a verify node fills (absent = 1). */
export function slotOf(verify: TaskSnapshot): number {
  return verify.verifies?.slot ?? 1
}

export function quorumOutcome(k: number, slots: readonly SlotView[]): QuorumOutcome {
  const at = (n: number): SlotView | undefined => slots.find((s) => s.slot === n)
  const main = Array.from({ length: Math.max(1, k) }, (_, i) => at(i + 1)?.state ?? 'open')
  if (main.includes('gave-up') && !main.includes('fail')) return main.includes('open') ? { state: 'pending' } : { state: 'unverified' }
  if (main.includes('open')) return { state: 'pending' }
  const firstFail = (): string | undefined => slots.filter((s) => s.state === 'fail').sort((a, b) => a.slot - b.slot)[0]?.reason
  const distinctPasses = (views: readonly (SlotView | undefined)[]): number => new Set(views.filter((v) => v?.state === 'pass').map((v) => v!.signer ?? `slot ${v!.slot}`)).size
  const mainViews = Array.from({ length: Math.max(1, k) }, (_, i) => at(i + 1))
  // Fewer different keys than the quorum asks (a room that shrank below it) is no quorum: unverified.
  if (main.every((s) => s === 'pass')) return distinctPasses(mainViews) >= k ? { state: 'passed' } : { state: 'unverified' }
  if (main.every((s) => s === 'fail' || s === 'gave-up')) return { state: 'failed', ...(firstFail() ? { feedback: firstFail()! } : {}) }
  // The first k disagree: the tiebreak decides, once.
  const tiebreak = at(k + 1)?.state ?? 'open'
  if (tiebreak === 'open') return { state: 'pending' }
  if (tiebreak === 'pass') return distinctPasses([...mainViews, at(k + 1)]) >= k ? { state: 'passed' } : { state: 'unverified' }
  if (tiebreak === 'gave-up') return { state: 'unverified' }
  return { state: 'failed', ...(firstFail() ? { feedback: firstFail()! } : {}) }
}

/** Whether the tiebreak slot has anything to decide yet (it stays idle unless the first k disagree). */
export function tiebreakNeeded(k: number, slots: readonly SlotView[]): boolean {
  if (k < 2) return false
  const main = Array.from({ length: k }, (_, i) => slots.find((s) => s.slot === i + 1)?.state ?? 'open')
  return main.includes('pass') && main.includes('fail') && !main.includes('open')
}

/**
 * Whether `signer` may fill a slot of a result produced by `producer`:
 * `otherSlotSigners` are the keys that decided the result's other slots.
 */
export function mayFillSlot(signer: NodeId, producer: NodeId, otherSlotSigners: ReadonlySet<string>, root: TaskSnapshot | undefined): boolean {
  if (signer === producer || otherSlotSigners.has(signer)) return false
  const k = quorumOf(root)
  const listed = root?.verifiers
  if (k < 2 || !listed) return true
  // Enough listed keys to fill the k slots without the producer: then only they may (a tiebreak may reuse a voter).
  const usable = listed.filter((n) => n !== producer).length
  return usable < k || listed.includes(signer)
}
