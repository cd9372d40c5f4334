/**
 * Composer and task list. Talks to the boards only through their facades.
 * A task marked private goes to the private board, which never leaves this tab.
 */
import { BoardInputError, MAX_PROMPT_LENGTH, type Board } from '../board'
import type { NodeIdentity } from '../mesh'
import type { DerivedTask } from '../scheduler'
import { formatAgo, h, replaceChildren } from './dom'
import type { StallNotice } from './stall'
import { swarmNotice, type StallActionHandler } from './swarm-notice'

export interface BoardView {
  readonly element: HTMLElement
  /** `notices`: why a task is stuck, by root id (stall.ts). */
  render(roots: readonly { board: Board; derived: ReadonlyMap<string, DerivedTask> }[], selected: string | null, now: number, notices?: ReadonlyMap<string, StallNotice>): void
}

export function createBoardView(shared: Board, privateBoard: Board, identity: NodeIdentity, onSelect: (rootId: string) => void, onNoticeAction: StallActionHandler = () => {}): BoardView {
  const input = h('textarea', { testid: 'task-input', rows: 3, maxlength: MAX_PROMPT_LENGTH, placeholder: 'Describe a task for the swarm… (Enter to submit, Shift+Enter for a new line)' })
  const error = h('div', { class: 'error', testid: 'task-error', role: 'alert' })
  const privateBox = h('input', { type: 'checkbox', testid: 'task-private' })
  const submit = h('button', { type: 'submit', testid: 'task-submit' }, 'Submit task')
  const list = h('ol', { class: 'task-list', testid: 'task-list' })

  const send = (): void => {
    try {
      const root = (privateBox.checked ? privateBoard : shared).submit(input.value, identity)
      input.value = ''
      error.textContent = ''
      onSelect(root.id)
    } catch (err) {
      if (!(err instanceof BoardInputError)) throw err
      error.textContent = err.message
    }
  }
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault()
      send()
    }
  })
  const privateLabel = h('label', { class: 'small', title: 'Runs on this tab only and never enters the shared board' }, privateBox, ' private (this tab only)')
  const form = h('form', { class: 'composer' }, input, h('div', { class: 'composer-row' }, error, privateLabel, submit))
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    send()
  })

  const element = h('section', { class: 'panel board' }, h('h2', {}, 'Tasks'), form, list)
  return {
    element,
    render(boards, selected, now, notices = new Map()) {
      const items = boards.flatMap(({ board, derived }) =>
        [...derived.values()].filter((d) => d.task.kind === 'root').map((root) => ({ root, derived, isPrivate: board.isPrivate })),
      )
      items.sort((a, b) => b.root.task.createdAt - a.root.task.createdAt || a.root.task.id.localeCompare(b.root.task.id))
      replaceChildren(list, items.length === 0 ? [h('li', { class: 'muted empty' }, 'No tasks yet.')] : items.map((i) => taskItem(i.root, i.derived, i.isPrivate, i.root.task.id === selected, now, onSelect, notices.get(i.root.task.id), onNoticeAction)))
    },
  }
}

function taskItem(
  root: DerivedTask,
  derived: ReadonlyMap<string, DerivedTask>,
  isPrivate: boolean,
  selected: boolean,
  now: number,
  onSelect: (id: string) => void,
  notice: StallNotice | undefined,
  onNoticeAction: StallActionHandler,
): HTMLElement {
  const t = root.task
  const parts = [...derived.values()].filter((d) => d.task.rootId === t.id && d.task.kind !== 'root' && !d.superseded)
  const finished = parts.filter((d) => d.status === 'done' || d.status === 'failed').length
  const item = h(
    'li',
    { class: `task status-${root.status}${selected ? ' selected' : ''}`, testid: 'task', 'data-task-id': t.id, 'data-status': root.status, 'data-private': String(isPrivate) },
    h('div', { class: 'task-prompt' }, t.prompt),
    h(
      'div',
      { class: 'muted small' },
      isPrivate ? h('span', { class: 'badge' }, 'private') : null,
      ` ${root.status} · ${finished}/${parts.length} steps · by ${t.createdByName} · ${formatAgo(now - t.createdAt)}`,
    ),
    h('progress', { max: Math.max(1, parts.length), value: finished, testid: 'task-progress' }),
    root.failure ? h('div', { class: 'error small' }, root.failure) : null,
    notice ? swarmNotice(notice, onNoticeAction) : null,
  )
  item.addEventListener('click', () => onSelect(t.id))
  return item
}
