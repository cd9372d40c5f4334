/**
 * Per-key reputation, derived from the board every tab holds (issue #9,
 * point 7). Pure: the same derived board and the same distrusted set give
 * the same numbers on every replica, whatever order the records arrived in.
 *
 * The rule is BOINC's host error rate: a key starts at 0.1; each of its
 * results that a verification settled as passed multiplies it by 0.95, each
 * one settled as failed adds 0.05 (clamped at 1). A key caught equivocating
 * (board.distrusted()) has error rate 1 for good. Trust = 1 − error rate.
 *
 * What counts as "its results", judged only from what derive accepted:
 *  - a researcher's result, once its verification settled: passed when it is
 *    the task's accepted result with verification 'passed'; failed when an
 *    accepted verdict failed it and its attempt is over without it being
 *    accepted. Still open (awaiting or escalating) or "unverified" (the
 *    verification itself broke) is neutral.
 *  - a verifier's verdict on such a settled result: passed when it agrees with
 *    the outcome, failed when it does not. So a key that votes pass on
 *    everything loses trust whenever the quorum fails what it passed.
 *  Verdicts derive did not accept never count: a key cannot farm trust by
 *    writing agreeing verdicts after the fact.
 *  Plans and syntheses have no verification, so they are neutral.
 *
 * Multiplying and adding do not commute, so events apply in one canonical
 * order every replica computes from record contents: the outcome's settle
 * time (the latest signed `endedAt` among the verdicts that decided it: a
 * claim by the verifiers, never by the producer being judged), then task id,
 * result key, node, producer before verifier, verify task. Plain string comparison, not
 * localeCompare: ICU collation may differ between browsers.
 */
import type { DerivedTask } from './derive'

export const INITIAL_ERROR_RATE = 0.1
export const PASS_FACTOR = 0.95
export const FAIL_STEP = 0.05
/**
 * Low trust: error rate ≥ 0.225 (trust ≤ 0.775), i.e. a fresh key after three
 * more failures than it has earned back (0.1 → 0.25), a long-standing honest
 * key (error rate near 0) after five. Midway between two failures (0.2) and
 * three, so float rounding never decides it. Below this a key does not verify
 * and ranks last (mayVerify, lowTrustLast).
 */
export const LOW_TRUST_ERROR_RATE = 0.225

export interface KeyReputation {
  readonly node: string
  readonly errorRate: number
  /** 1 − errorRate. */
  readonly trust: number
  /** Settled results of this key that passed / failed (results and verdicts alike). */
  readonly passed: number
  readonly failed: number
  readonly lowTrust: boolean
  /** Why the key is distrusted for good (equivocation evidence), if it is. */
  readonly distrusted?: string
}

/** Keys that have any settled result or are distrusted, in node id order. Unknown keys are fresh (reputationOf). */
export type Reputation = ReadonlyMap<string, KeyReputation>

interface Event {
  readonly node: string
  readonly passed: boolean
  readonly at: number
  readonly task: string
  readonly key: string
  /** 0: the producer of the judged result, 1: a verifier. */
  readonly role: 0 | 1
  /** The verify task a verdict came through ('' for the producer): one key may judge a result twice. */
  readonly via: string
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

export function computeReputation(derived: Iterable<DerivedTask>, distrusted: ReadonlyMap<string, string> = new Map()): Reputation {
  const events = settledEvents([...derived])
  events.sort((a, b) => a.at - b.at || cmp(a.task, b.task) || cmp(a.key, b.key) || cmp(a.node, b.node) || a.role - b.role || cmp(a.via, b.via) || Number(a.passed) - Number(b.passed))
  const state = new Map<string, { errorRate: number; passed: number; failed: number }>()
  for (const e of events) {
    const s = state.get(e.node) ?? { errorRate: INITIAL_ERROR_RATE, passed: 0, failed: 0 }
    if (e.passed) {
      s.errorRate *= PASS_FACTOR
      s.passed++
    } else {
      s.errorRate = Math.min(1, s.errorRate + FAIL_STEP)
      s.failed++
    }
    state.set(e.node, s)
  }
  const nodes = [...new Set([...state.keys(), ...distrusted.keys()])].sort(cmp)
  const out = new Map<string, KeyReputation>()
  for (const node of nodes) {
    const s = state.get(node) ?? { errorRate: INITIAL_ERROR_RATE, passed: 0, failed: 0 }
    const why = distrusted.get(node)
    out.set(node, keyReputation(node, why !== undefined ? 1 : s.errorRate, s.passed, s.failed, why))
  }
  return out
}

function keyReputation(node: string, errorRate: number, passed: number, failed: number, distrusted?: string): KeyReputation {
  return {
    node,
    errorRate,
    trust: 1 - errorRate,
    passed,
    failed,
    lowTrust: errorRate >= LOW_TRUST_ERROR_RATE,
    ...(distrusted !== undefined ? { distrusted } : {}),
  }
}

/** A key with nothing settled yet: fresh, error rate 0.1. */
export function reputationOf(rep: Reputation, node: string): KeyReputation {
  return rep.get(node) ?? keyReputation(node, INITIAL_ERROR_RATE, 0, 0)
}

export function trustOf(rep: Reputation, node: string): number {
  return reputationOf(rep, node).trust
}

export function isLowTrust(rep: Reputation, node: string): boolean {
  return reputationOf(rep, node).lowTrust
}

/** Low-trust keys (distrusted ones included) don't verify. */
export function mayVerify(rep: Reputation, node: string): boolean {
  return !isLowTrust(rep, node)
}

/**
 * Sort comparator on node ids: low-trust keys after everyone else, and no
 * opinion otherwise (0), so it goes in front of an existing ranking without
 * changing the order among trusted keys.
 */
export function lowTrustLast(rep: Reputation): (a: string, b: string) => number {
  return (a, b) => Number(isLowTrust(rep, a)) - Number(isLowTrust(rep, b))
}

/** Verdicts derive accepted on each judged result: `${taskId}/${resultKey}` → verify tasks, done, with a verdict. */
function acceptedVerdicts(derived: readonly DerivedTask[]): Map<string, DerivedTask[]> {
  const out = new Map<string, DerivedTask[]>()
  for (const v of derived) {
    const judged = v.task.verifies
    if (!judged || v.superseded || v.status !== 'done' || !v.accepted?.result.verdict) continue
    const k = `${judged.taskId}/${judged.resultKey}`
    const list = out.get(k)
    if (list) list.push(v)
    else out.set(k, [v])
  }
  return out
}

function settledEvents(derived: readonly DerivedTask[]): Event[] {
  const verdicts = acceptedVerdicts(derived)
  const events: Event[] = []
  for (const d of derived) {
    if (d.task.kind !== 'research' || d.superseded) continue
    for (const [key, result] of d.task.results) {
      const judged = verdicts.get(`${d.task.id}/${key}`)
      if (!judged) continue
      const outcome = outcomeOf(d, key, result.attempt, judged)
      if (outcome === null) continue
      const at = Math.max(...judged.map((v) => v.accepted!.result.provenance.endedAt))
      const producer = result.provenance.node
      events.push({ node: producer, passed: outcome, at, task: d.task.id, key, role: 0, via: '' })
      for (const v of judged) {
        const verifier = v.accepted!.result.provenance.node
        events.push({ node: verifier, passed: (v.accepted!.result.verdict === 'pass') === outcome, at, task: d.task.id, key, role: 1, via: v.task.id })
      }
    }
  }
  return events
}

/** true: passed, false: failed, null: not settled (or settled as unverified). */
function outcomeOf(d: DerivedTask, key: string, attempt: number, judged: readonly DerivedTask[]): boolean | null {
  if (d.accepted?.key === key) return d.verification === 'passed' ? true : null
  const over = d.status === 'failed' || d.status === 'done' || d.attempt > attempt
  return over && judged.some((v) => v.accepted!.result.verdict === 'fail') ? false : null
}
