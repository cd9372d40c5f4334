export { Board, BoardInputError, validatePrompt, PLAN_MAX_ATTEMPTS } from './board'
export { indexedDbPersistence, type BoardPersistence } from './persistence'
export { debugBoard, debugRecords } from './debug'
export {
  ALL_ROLES,
  DAG_SCHEMA_VERSION,
  MAX_PROMPT_LENGTH,
  Role,
  TaskKind,
  recordKey,
  type Claim,
  type Lease,
  type Provenance,
  type Requeue,
  type TaskId,
  type TaskResult,
  type TaskSnapshot,
  type TaskStatic,
} from './dag-schema'
