/** The selected task's final answer (or why it failed), with who and what produced it. */
import type { DerivedTask } from '../scheduler'
import { h, replaceChildren } from './dom'
import { provenanceLine } from './node-detail'

export interface FinalAnswerView {
  readonly element: HTMLElement
  render(root: DerivedTask | null): void
}

export function createFinalAnswer(): FinalAnswerView {
  const element = h('section', { class: 'panel final', hidden: true })
  return {
    element,
    render(root) {
      element.hidden = root === null
      if (!root) return
      const t = root.task
      if (root.status === 'done' && root.accepted) {
        replaceChildren(element, [
          h('h2', {}, 'Answer'),
          h('div', { class: 'muted small' }, t.prompt),
          h('pre', { class: 'detail-text answer', testid: 'final-answer', 'data-simulated': String(root.accepted.result.provenance.simulated) }, root.accepted.result.text),
          provenanceLine(root.accepted.result.provenance),
        ])
      } else if (root.status === 'failed') {
        replaceChildren(element, [h('h2', {}, 'Failed'), h('div', { class: 'error', testid: 'final-failure' }, root.failure ?? 'unknown reason')])
      } else {
        replaceChildren(element, [h('h2', {}, 'Working…'), h('div', { class: 'muted small' }, `${t.prompt}`)])
      }
    },
  }
}
