/**
 * The board's shape inside the Y.Doc, and validation of what peers wrote.
 *
 *   doc.getMap('tasks'): taskId → Y.Map of fields (one Y.Map per task so that
 *   concurrent edits of different fields by different tabs merge cleanly).
 *
 * Any peer can write anything into a shared Y.Doc, so nothing is read without
 * `parseTask`; malformed entries are skipped (and logged once by the facade).
 */
import * as Y from 'yjs'
import { isNodeId, type NodeId, type ParseResult } from '../mesh/protocol'

export const BOARD_SCHEMA_VERSION = 1
export const TASKS_KEY = 'tasks'
export const MAX_PROMPT_LENGTH = 4_000

export type TaskId = string & { readonly __taskId: true }

export const TaskStatus = {
  pending: 'pending',
  ready: 'ready',
  claimed: 'claimed',
  running: 'running',
  verifying: 'verifying',
  done: 'done',
  failed: 'failed',
} as const
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus]

export interface TaskRecord {
  readonly v: typeof BOARD_SCHEMA_VERSION
  readonly id: TaskId
  readonly prompt: string
  readonly status: TaskStatus
  readonly createdAt: number
  readonly createdBy: NodeId
  readonly createdByName: string
}

export function isTaskId(v: unknown): v is TaskId {
  return typeof v === 'string' && /^[a-z0-9-]{8,64}$/.test(v)
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Turns whatever sits at tasks[key] into a TaskRecord, or says why it can't. */
export function parseTask(key: string, raw: unknown): ParseResult<TaskRecord> {
  const value = raw instanceof Y.Map ? (raw.toJSON() as unknown) : raw
  if (!isRecord(value)) return { ok: false, reason: 'entry is not a map' }
  if (value.v !== BOARD_SCHEMA_VERSION) return { ok: false, reason: `unsupported schema version ${String(value.v)}` }
  if (!isTaskId(value.id) || value.id !== key) return { ok: false, reason: 'id is missing or does not match its key' }
  if (typeof value.prompt !== 'string' || value.prompt.trim() === '' || value.prompt.length > MAX_PROMPT_LENGTH) return { ok: false, reason: 'prompt is empty or too long' }
  if (typeof value.status !== 'string' || !(value.status in TaskStatus)) return { ok: false, reason: 'unknown status' }
  if (typeof value.createdAt !== 'number' || !Number.isFinite(value.createdAt)) return { ok: false, reason: 'bad createdAt' }
  if (!isNodeId(value.createdBy)) return { ok: false, reason: 'bad createdBy' }
  if (typeof value.createdByName !== 'string' || value.createdByName.length > 200) return { ok: false, reason: 'bad createdByName' }
  return { ok: true, value: value as unknown as TaskRecord }
}

/** Checks a prompt a person typed; returns the cleaned prompt or a message for them. */
export function validatePrompt(input: string): ParseResult<string> {
  const prompt = input.trim()
  if (prompt === '') return { ok: false, reason: 'Type a task first.' }
  if (prompt.length > MAX_PROMPT_LENGTH) return { ok: false, reason: `The task is ${prompt.length} characters long; the limit is ${MAX_PROMPT_LENGTH}.` }
  return { ok: true, value: prompt }
}

/** Deterministic, readable order for every replica: oldest first, ties by id. */
export function compareTasks(a: TaskRecord, b: TaskRecord): number {
  return a.createdAt - b.createdAt || a.id.localeCompare(b.id)
}
