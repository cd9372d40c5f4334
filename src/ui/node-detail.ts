/** Detail of one graph node: prompt, output, verdicts, provenance and history. */
import type { Provenance } from '../board'
import type { DerivedTask } from '../scheduler'
import { h, replaceChildren } from './dom'

export interface NodeDetailView {
  readonly element: HTMLElement
  render(d: DerivedTask | null, derived: ReadonlyMap<string, DerivedTask>): void
}

export function createNodeDetail(): NodeDetailView {
  const element = h('section', { class: 'panel node-detail', testid: 'node-detail', hidden: true })
  return {
    element,
    render(d, derived) {
      element.hidden = d === null
      if (!d) return
      const t = d.task
      const output = d.accepted?.result.text ?? (d.winner ? t.partials.get(`${d.attempt}:${d.winner}`) : undefined) ?? ''
      const verifications = [...derived.values()].filter((v) => v.task.verifies?.taskId === t.id)
      replaceChildren(element, [
        h('h2', {}, `${t.role ?? 'task'} · ${t.title}`),
        h('div', { class: 'muted small' }, `${d.status}${d.verification ? ` (${d.verification})` : ''} · attempt ${d.attempt} of ${t.maxAttempts} · ${t.id}`),
        d.failure ? h('div', { class: 'error' }, d.failure) : null,
        h('h3', {}, 'Prompt'),
        h('pre', { class: 'detail-text' }, t.prompt),
        h('h3', {}, d.accepted ? 'Output' : 'Output so far'),
        h('pre', { class: 'detail-text', testid: 'node-output' }, output || '—'),
        d.accepted?.result.reason ? h('div', { class: 'muted small' }, d.accepted.result.reason) : null,
        d.accepted ? provenanceLine(d.accepted.result.provenance) : null,
        verifications.length ? h('h3', {}, 'Verdicts') : null,
        ...verifications.map((v) =>
          h('div', { class: 'small', testid: 'verdict' }, `${v.accepted?.result.verdict ?? v.status} by ${v.accepted?.result.provenance.name ?? v.winner ?? '—'} (attempt ${v.task.verifies!.attempt}): ${v.accepted?.result.reason ?? v.failure ?? ''}`),
        ),
        t.requeues.size ? h('h3', {}, 'History') : null,
        ...[...t.requeues.values()].sort((a, b) => a.attempt - b.attempt).map((r) => h('div', { class: 'small', testid: 'requeue' }, `attempt ${r.attempt} ended (${r.cause}): ${r.reason}`)),
      ])
    },
  }
}

export function provenanceLine(p: Provenance): HTMLElement {
  const secs = Math.max(0, (p.endedAt - p.startedAt) / 1000).toFixed(1)
  return h(
    'div',
    { class: `provenance small${p.simulated ? ' sim-label' : ''}`, testid: 'provenance', 'data-simulated': String(p.simulated) },
    `${p.simulated ? 'SIMULATED · ' : ''}${p.engine} · ${p.model} · by ${p.name} · ${p.completionTokens} tokens in ${secs}s · ${p.tokensPerSec.toFixed(1)} tok/s`,
  )
}
