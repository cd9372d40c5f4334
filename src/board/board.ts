/**
 * Typed facade over the board's Y types. The UI and scheduler never touch Y
 * types directly. Every write is a transaction with this board as origin, so
 * observers can tell local writes from remote ones.
 */
import * as Y from 'yjs'
import type { Clock, Random } from '../clock'
import { createLogger } from '../log'
import type { NodeIdentity } from '../mesh/identity'
import { BOARD_SCHEMA_VERSION, TASKS_KEY, TaskStatus, compareTasks, parseTask, validatePrompt, type TaskId, type TaskRecord } from './schema'

const log = createLogger('board')

export class BoardInputError extends Error {
  override readonly name = 'BoardInputError'
}

export class Board {
  private readonly tasksMap: Y.Map<unknown>
  private readonly reportedInvalid = new Set<string>()

  constructor(
    readonly doc: Y.Doc,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {
    this.tasksMap = doc.getMap(TASKS_KEY)
  }

  /** Adds a root task. Throws BoardInputError (message for a person) on bad input. */
  addTask(prompt: string, author: NodeIdentity): TaskRecord {
    const checked = validatePrompt(prompt)
    if (!checked.ok) throw new BoardInputError(checked.reason)
    const task: TaskRecord = {
      v: BOARD_SCHEMA_VERSION,
      id: this.newTaskId(),
      prompt: checked.value,
      status: TaskStatus.pending,
      createdAt: this.clock.now(),
      createdBy: author.id,
      createdByName: author.name,
    }
    this.doc.transact(() => {
      const entry = new Y.Map<unknown>()
      for (const [k, v] of Object.entries(task)) entry.set(k, v)
      this.tasksMap.set(task.id, entry)
    }, this)
    log.info(`task ${task.id} added`)
    return task
  }

  /** All valid tasks in the same order on every replica. */
  tasks(): TaskRecord[] {
    const out: TaskRecord[] = []
    this.tasksMap.forEach((raw, key) => {
      const parsed = parseTask(key, raw)
      if (parsed.ok) out.push(parsed.value)
      else if (!this.reportedInvalid.has(key)) {
        this.reportedInvalid.add(key)
        log.warn(`ignoring invalid board entry ${key.slice(0, 64)}: ${parsed.reason}`)
      }
    })
    return out.sort(compareTasks)
  }

  /** Fires after any change to the board, local or remote. Returns its own unsubscribe. */
  onChange(listener: (local: boolean) => void): () => void {
    const handler = (_events: unknown, txn: Y.Transaction): void => listener(txn.origin === this)
    this.tasksMap.observeDeep(handler)
    return () => this.tasksMap.unobserveDeep(handler)
  }

  private newTaskId(): TaskId {
    let id = this.clock.now().toString(36)
    while (id.length < 16) id += Math.floor(this.random.next() * 36).toString(36)
    return id as TaskId
  }
}
