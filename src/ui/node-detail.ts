/** Detail of one graph node: prompt, output, verdicts, provenance (with each result's signer) and history. */
import type { Provenance } from '../board'
import type { DerivedTask, Reputation } from '../scheduler'
import { h, replaceChildren } from './dom'
import { labelPrefix, outputBadges, outputKind, type OutputKind } from './labels'
import { signerLabel } from './signer'

export interface NodeDetailView {
  readonly element: HTMLElement
  /**
   * `kindOf`: what a live node's engine is (from presence), to label output still streaming.
   * `reputation`: from the same board (computeReputation), to show each signer's trust.
   */
  render(d: DerivedTask | null, derived: ReadonlyMap<string, DerivedTask>, kindOf?: (node: string) => OutputKind | undefined, reputation?: Reputation): void
}

export function createNodeDetail(): NodeDetailView {
  const element = h('section', { class: 'panel node-detail', testid: 'node-detail', hidden: true })
  let shown: { id: string; output: HTMLElement } | null = null
  return {
    element,
    render(d, derived, kindOf, reputation) {
      element.hidden = d === null
      if (!d) return void (shown = null)
      // Streamed output keeps growing: stay pinned to its end unless the reader scrolled up.
      const prev = shown?.id === d.task.id ? shown.output : null
      const pinned = prev === null || prev.scrollTop + prev.clientHeight >= prev.scrollHeight - 4
      const prevScroll = prev?.scrollTop ?? 0
      const t = d.task
      // Accepted output, else the current attempt's result waiting for its verdict, else what is streaming now.
      const pending = d.winner ? t.results.get(`${d.attempt}:${d.winner}`) : undefined
      const pendingResult = pending?.text
      const partial = d.winner ? t.partials.get(`${d.attempt}:${d.winner}`) : undefined
      const output = d.accepted?.result.text ?? pendingResult ?? partial ?? ''
      const verifications = [...derived.values()].filter((v) => v.task.verifies?.taskId === t.id)
      replaceChildren(element, [
        h('h2', {}, `${t.role ?? 'task'} · ${t.title}`),
        h('div', { class: 'muted small' }, `${d.status}${d.verification ? ` (${d.verification})` : ''} · attempt ${d.attempt}${failuresLine(d, t.maxAttempts)} · ${t.id}`),
        d.failure ? h('div', { class: 'error' }, d.failure) : null,
        h('h3', {}, 'Prompt'),
        h('pre', { class: 'detail-text' }, t.prompt),
        h('h3', {}, d.accepted ? 'Output ' : pendingResult !== undefined ? 'Output, awaiting verification ' : 'Output so far ', liveBadges(d, kindOf)),
        h('pre', { class: 'detail-text', testid: 'node-output', 'data-live': String(d.status === 'running' && output !== '') }, output || '—'),
        d.accepted?.result.reason ? h('div', { class: 'muted small' }, d.accepted.result.reason) : null,
        d.accepted ? provenanceLine(d.accepted.result.provenance, reputation) : pending ? provenanceLine(pending.provenance, reputation) : null,
        // A streamed partial is signed by its writer too (the board keys it by signer): name the key.
        !d.accepted && !pending && partial !== undefined && d.winner ? h('div', { class: 'small muted', testid: 'partial-signer' }, 'streaming, signed by ', signerLabel(nameOf(t, d.winner), d.winner, reputation)) : null,
        verifications.length ? h('h3', {}, 'Verdicts') : null,
        ...verifications.map((v) => verdictLine(v, reputation)),
        t.requeues.size ? h('h3', {}, 'History') : null,
        ...[...t.requeues.values()].sort((a, b) => a.attempt - b.attempt).map((r) => h('div', { class: 'small', testid: 'requeue' }, `attempt ${r.attempt} ended (${r.cause}): ${r.reason}`)),
      ])
      const out = element.querySelector<HTMLElement>('[data-testid="node-output"]')!
      out.scrollTop = pinned ? out.scrollHeight : prevScroll
      shown = { id: t.id, output: out }
    },
  }
}

/** "pass by amber-otter · key abcd1234 · trust 0.90 (attempt 1): reason": the verdict's signer is its provenance node. */
function verdictLine(v: DerivedTask, reputation?: Reputation): HTMLElement {
  const r = v.accepted?.result
  const by = r ? signerLabel(r.provenance.name, r.provenance.node, reputation) : v.winner ? signerLabel(nameOf(v.task, v.winner), v.winner, reputation) : '—'
  return h('div', { class: 'small', testid: 'verdict' }, `${r?.verdict ?? v.status} by `, by, ` (attempt ${v.task.verifies!.attempt}): ${r?.reason ?? v.failure ?? ''}`)
}

/** The name a node signed its claim or lease of this task with, if any. */
function nameOf(t: DerivedTask['task'], node: string): string | undefined {
  for (const l of t.leases.values()) if (l.node === node) return l.name
  for (const c of t.claims.values()) if (c.node === node) return c.name
  return undefined
}

/** Labels for the output shown: the accepted result's provenance, or the running node's engine as its presence says. */
function liveBadges(d: DerivedTask, kindOf?: (node: string) => OutputKind | undefined): HTMLElement | null {
  if (d.accepted) return outputBadges(outputKind(d.accepted.result.provenance))
  const live = d.winner ? kindOf?.(d.winner) : undefined
  return live ? outputBadges(live) : null
}

/** Engine, model, signer (name, key fingerprint, trust), tokens and speed of one result. */
export function provenanceLine(p: Provenance, reputation?: Reputation): HTMLElement {
  const secs = Math.max(0, (p.endedAt - p.startedAt) / 1000).toFixed(1)
  const kind = outputKind(p)
  return h(
    'div',
    { class: `provenance small${kind.simulated || kind.fixture ? ' sim-label' : ''}`, testid: 'provenance', 'data-simulated': String(p.simulated), 'data-fixture': String(kind.fixture) },
    `${labelPrefix(kind)}${p.engine} · ${p.model} · by `,
    signerLabel(p.name, p.node, reputation),
    ` · ${p.completionTokens} tokens in ${secs}s · ${p.tokensPerSec.toFixed(1)} tok/s`,
  )
}

/** Attempts ended by churn don't count against the task (authorize.ts), so only its own failures are shown against the limit. */
function failuresLine(d: DerivedTask, maxAttempts: number): string {
  const failures = d.authorized?.failures ?? 0
  return failures > 0 ? ` (${failures} of ${maxAttempts} failures allowed)` : ''
}
