/** Composer and task list. Talks to the board only through its facade. */
import { BoardInputError, MAX_PROMPT_LENGTH, type Board, type TaskRecord } from '../board'
import type { NodeIdentity } from '../mesh'
import { formatAgo, h, replaceChildren } from './dom'

export interface BoardView {
  readonly element: HTMLElement
  render(): void
}

export function createBoardView(board: Board, identity: NodeIdentity, now: () => number): BoardView {
  const input = h('textarea', { testid: 'task-input', rows: 3, maxlength: MAX_PROMPT_LENGTH, placeholder: 'Describe a task for the swarm… (Enter to submit, Shift+Enter for a new line)' })
  const error = h('div', { class: 'error', testid: 'task-error', role: 'alert' })
  const submit = h('button', { type: 'submit', testid: 'task-submit' }, 'Submit task')
  const list = h('ol', { class: 'task-list', testid: 'task-list' })

  const send = (): void => {
    try {
      board.addTask(input.value, identity)
      input.value = ''
      error.textContent = ''
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
  const form = h('form', { class: 'composer' }, input, h('div', { class: 'composer-row' }, error, submit))
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    send()
  })

  const element = h('section', { class: 'panel board' }, h('h2', {}, 'Tasks'), form, list)
  return {
    element,
    render() {
      const tasks = board.tasks()
      replaceChildren(list, tasks.length === 0 ? [h('li', { class: 'muted empty' }, 'No tasks yet.')] : tasks.map((t) => taskItem(t, now())))
    },
  }
}

function taskItem(task: TaskRecord, now: number): HTMLElement {
  return h(
    'li',
    { class: `task status-${task.status}`, testid: 'task', 'data-task-id': task.id, 'data-status': task.status },
    h('div', { class: 'task-prompt' }, task.prompt),
    h('div', { class: 'muted small' }, `${task.status} · by ${task.createdByName} · ${formatAgo(now - task.createdAt)}`),
  )
}
