/** The swarm notice: why a task is stuck (stall.ts) and the one-click fixes this tab can offer. */
import { h } from './dom'
import type { StallAction, StallNotice } from './stall'

export type StallActionHandler = (action: StallAction) => void

export function swarmNotice(notice: StallNotice, onAction: StallActionHandler): HTMLElement {
  const buttons = notice.actions.map((a) => {
    const b = h('button', { type: 'button', testid: 'swarm-notice-action', 'data-action': a.kind }, a.label)
    b.addEventListener('click', (ev) => {
      ev.stopPropagation() // the notice sits inside a clickable task item
      b.disabled = true
      onAction(a)
    })
    return b
  })
  return h(
    'div',
    { class: `swarm-notice kind-${notice.kind}`, testid: 'swarm-notice', role: 'status', 'data-kind': notice.kind, 'data-role': notice.role },
    h('div', { class: 'swarm-notice-text' }, notice.message),
    buttons.length ? h('div', { class: 'swarm-notice-actions' }, ...buttons) : null,
  )
}
