/** The selected task's final answer (or why it failed), with who and what produced it. */
import type { DerivedTask, Reputation } from '../scheduler'
import { h, replaceChildren } from './dom'
import { outputBadges, outputKind } from './labels'
import { provenanceLine } from './node-detail'
import type { StallNotice } from './stall'
import { swarmNotice, type StallActionHandler } from './swarm-notice'

export interface FinalAnswerView {
  readonly element: HTMLElement
  /** `notice`: why the task is stuck, if it is (stall.ts). `reputation`: to show the signer's trust. */
  render(root: DerivedTask | null, notice?: StallNotice, reputation?: Reputation): void
}

export function createFinalAnswer(onNoticeAction: StallActionHandler = () => {}): FinalAnswerView {
  const element = h('section', { class: 'panel final', hidden: true })
  return {
    element,
    render(root, notice, reputation) {
      element.hidden = root === null
      if (!root) return
      const t = root.task
      if (root.status === 'done' && root.accepted) {
        const kind = outputKind(root.accepted.result.provenance)
        replaceChildren(element, [
          h('h2', {}, 'Answer ', outputBadges(kind)),
          h('div', { class: 'muted small' }, t.prompt),
          h('pre', { class: 'detail-text answer', testid: 'final-answer', 'data-task-id': t.id, 'data-simulated': String(kind.simulated), 'data-fixture': String(kind.fixture) }, root.accepted.result.text),
          provenanceLine(root.accepted.result.provenance, reputation),
        ])
      } else if (root.status === 'failed') {
        replaceChildren(element, [h('h2', {}, 'Failed'), h('div', { class: 'error', testid: 'final-failure' }, root.failure ?? 'unknown reason')])
      } else {
        replaceChildren(element, [h('h2', {}, notice ? 'Stuck' : 'Working…'), h('div', { class: 'muted small' }, `${t.prompt}`), notice ? swarmNotice(notice, onNoticeAction) : null])
      }
    },
  }
}
