export { Board, BoardInputError } from './board'
export { indexedDbPersistence, type BoardPersistence } from './persistence'
export { TaskStatus, MAX_PROMPT_LENGTH, type TaskRecord, type TaskId } from './schema'
