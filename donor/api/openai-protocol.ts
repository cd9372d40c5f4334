/**
 * The OpenAI chat API wire format, as much of it as the swarm serves:
 * request validation for POST /v1/chat/completions, the response, chunk and
 * model-list bodies, and OpenAI's error shape `{ error: { message, type,
 * param, code } }` (what the official clients parse into APIError).
 *
 * Sampling parameters (temperature, max_tokens, …) are accepted and ignored:
 * the answer is whatever the swarm's roles produce. `n` > 1, tools and
 * non-text content are refused, because the swarm cannot honour them.
 */
import type { StepView, TaskView } from '../../src/bridge/protocol'

export const MODEL_ID = 'mindos-swarm'
export const MAX_BODY_BYTES = 256 * 1024
const MAX_MESSAGES = 200
const MAX_MESSAGE_CHARS = 64_000
const ROLES = ['system', 'developer', 'user', 'assistant', 'tool'] as const

export type ChatRole = (typeof ROLES)[number]
export interface ChatMessage {
  readonly role: ChatRole
  readonly content: string
}
export interface ChatRequest {
  readonly model: string
  readonly messages: readonly ChatMessage[]
  readonly stream: boolean
  readonly includeUsage: boolean
}

export interface ApiErrorBody {
  readonly error: { readonly message: string; readonly type: string; readonly param: string | null; readonly code: string | null }
}

/** An HTTP error in OpenAI's shape; thrown inside the server and turned into a response in one place. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string | null,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message)
  }
  body(): ApiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } }
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = 'invalid_request'): ApiError => new ApiError(400, 'invalid_request_error', code, message, param)

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function textOf(content: unknown, i: number, role: string): string {
  if (typeof content === 'string') return content
  if (content === null && role === 'assistant') return '' // an assistant turn that only called tools
  if (Array.isArray(content)) {
    return content
      .map((part, j) => {
        if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') return part.text
        throw badRequest(`messages[${i}].content[${j}]: only text parts are supported`, `messages[${i}].content`)
      })
      .join('\n')
  }
  throw badRequest(`messages[${i}].content must be a string or a list of text parts`, `messages[${i}].content`)
}

/** Validates a decoded JSON body. Throws ApiError(400) naming the first bad field. */
export function parseChatRequest(body: unknown): ChatRequest {
  if (!isRecord(body)) throw badRequest('The request body must be a JSON object.')
  if (typeof body.model !== 'string' || body.model.trim() === '') throw badRequest('`model` is required (use "mindos-swarm").', 'model')
  if (body.model !== MODEL_ID) throw new ApiError(404, 'invalid_request_error', 'model_not_found', `The model "${body.model.slice(0, 100)}" does not exist; this API serves "${MODEL_ID}".`, 'model')
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw badRequest('`messages` must be a non-empty list.', 'messages')
  if (body.messages.length > MAX_MESSAGES) throw badRequest(`At most ${MAX_MESSAGES} messages are accepted.`, 'messages', 'request_too_large')
  const messages = body.messages.map((m, i): ChatMessage => {
    if (!isRecord(m)) throw badRequest(`messages[${i}] must be an object.`, `messages[${i}]`)
    if (typeof m.role !== 'string' || !(ROLES as readonly string[]).includes(m.role)) throw badRequest(`messages[${i}].role must be one of ${ROLES.join(', ')}.`, `messages[${i}].role`)
    const content = textOf(m.content, i, m.role)
    if (content.length > MAX_MESSAGE_CHARS) throw badRequest(`messages[${i}] is longer than ${MAX_MESSAGE_CHARS} characters.`, `messages[${i}].content`, 'request_too_large')
    return { role: m.role as ChatRole, content }
  })
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw badRequest('`stream` must be a boolean.', 'stream')
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw badRequest('Only n=1 is supported: the swarm gives one answer per task.', 'n')
  if (Array.isArray(body.tools) && body.tools.length > 0) throw badRequest('Tools are not supported by the swarm.', 'tools')
  const opts = body.stream_options
  const includeUsage = isRecord(opts) && opts.include_usage === true
  return { model: body.model, messages, stream: body.stream === true, includeUsage }
}

/** The `x_mindos` extension field: which task this was and who produced and checked it. */
export interface MindosExtension {
  readonly task_id: string
  readonly room: string
  readonly status: string
  readonly plan_steps: readonly { readonly id: string; readonly title: string; readonly status: string; readonly verification: string | null }[]
  readonly provenance: { readonly node: string; readonly name: string; readonly engine: string; readonly model: string; readonly simulated: boolean } | null
  readonly verification: { readonly outcome: 'passed' | 'partly-unverified' | 'unverified' | 'failed-steps' | 'none'; readonly passed: number; readonly unverified: number; readonly failed: number; readonly total: number }
}

export function verificationOutcome(steps: readonly StepView[]): MindosExtension['verification'] {
  const passed = steps.filter((s) => s.verification === 'passed').length
  const unverified = steps.filter((s) => s.verification === 'unverified').length
  const failed = steps.filter((s) => s.status === 'failed').length
  const total = steps.length
  const outcome = total === 0 ? 'none' : failed > 0 ? 'failed-steps' : passed === total ? 'passed' : passed > 0 ? 'partly-unverified' : 'unverified'
  return { outcome, passed, unverified, failed, total }
}

export function mindosExtension(view: TaskView, room: string): MindosExtension {
  const p = view.provenance
  return {
    task_id: view.taskId,
    room,
    status: view.status,
    plan_steps: view.steps.map((s) => ({ id: s.id, title: s.title, status: s.status, verification: s.verification })),
    provenance: p ? { node: p.node, name: p.name, engine: p.engine, model: p.model, simulated: p.simulated } : null,
    verification: verificationOutcome(view.steps),
  }
}

export const completionId = (taskId: string): string => `chatcmpl-${taskId}`

function usage(view: TaskView): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const p = view.provenance
  const prompt = p?.promptTokens ?? 0
  const completion = p?.completionTokens ?? 0
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
}

export function completionBody(view: TaskView, room: string, created: number): Record<string, unknown> {
  return {
    id: completionId(view.taskId),
    object: 'chat.completion',
    created,
    model: MODEL_ID,
    system_fingerprint: null,
    choices: [{ index: 0, message: { role: 'assistant', content: view.answer ?? '', refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: usage(view),
    x_mindos: mindosExtension(view, room),
  }
}

export type ChunkDelta = { readonly role?: 'assistant'; readonly content?: string }

export function chunkBody(taskId: string, created: number, delta: ChunkDelta, finish: 'stop' | null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: completionId(taskId), object: 'chat.completion.chunk', created, model: MODEL_ID, system_fingerprint: null, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra }
}

export function usageChunk(view: TaskView, created: number): Record<string, unknown> {
  return { id: completionId(view.taskId), object: 'chat.completion.chunk', created, model: MODEL_ID, system_fingerprint: null, choices: [], usage: usage(view) }
}

export function modelObject(created: number): Record<string, unknown> {
  return { id: MODEL_ID, object: 'model', created, owned_by: 'mindos-swarm' }
}

export function modelList(created: number): Record<string, unknown> {
  return { object: 'list', data: [modelObject(created)] }
}
