/**
 * The OpenAI-compatible API over real HTTP (node:http on an ephemeral port),
 * driven by a FAKE swarm gateway (labelled: it stands in for the donor's
 * browser tabs) and a manual clock, so timeouts and progress comments are
 * exercised without waiting. Every error case answers OpenAI's error shape.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { startApiServer, type ApiServer } from '../../donor/api/server'
import type { SwarmGateway } from '../../donor/api/gateway'
import { BRIDGE_VERSION, type SubmitReply, type TabStatus, type TaskView } from '../../src/bridge/protocol'
import type { Clock } from '../../src/clock'
import { ManualClock, readyTab } from './donor-fakes'

const view = (taskId: string, p: Partial<TaskView> = {}): TaskView => ({
  v: BRIDGE_VERSION, type: 'task', taskId, status: 'running', failure: null, steps: [], partial: null, answer: null, provenance: null, ...p,
})

const DONE = (taskId: string, answer: string): TaskView =>
  view(taskId, {
    status: 'done',
    answer,
    steps: [{ id: `${taskId}-s1`, title: 'Find facts', status: 'done', verification: 'passed' }, { id: `${taskId}-s2`, title: 'Conclude', status: 'done', verification: 'unverified' }],
    provenance: { node: 'n1', name: 'amber-otter', engine: 'sim', model: 'sim-fast', simulated: true, tokensPerSec: 200, promptTokens: 30, completionTokens: 12 },
  })

/** FAKE gateway: records submitted prompts; the test pushes task views. */
class FakeSwarm implements SwarmGateway {
  readonly room = 'r1'
  tabs: TabStatus[] = [readyTab()]
  readonly prompts: string[] = []
  private readonly listeners = new Map<string, Set<(v: TaskView) => void>>()
  private submitted: (() => void)[] = []
  statuses = (): TabStatus[] => this.tabs
  failSubmit: string | null = null
  async submit(prompt: string): Promise<SubmitReply> {
    if (this.failSubmit) throw new Error(this.failSubmit)
    this.prompts.push(prompt)
    const taskId = `task-${this.prompts.length}`
    queueMicrotask(() => this.submitted.splice(0).forEach((f) => f()))
    return { ok: true, taskId }
  }
  watch(taskId: string, listener: (v: TaskView) => void): () => void {
    const set = this.listeners.get(taskId) ?? new Set()
    this.listeners.set(taskId, set)
    set.add(listener)
    return () => set.delete(listener)
  }
  push(v: TaskView): void {
    for (const l of this.listeners.get(v.taskId) ?? []) l(v)
  }
  watching(taskId: string): number {
    return this.listeners.get(taskId)?.size ?? 0
  }
  /** Resolves once `n` tasks are being watched (the server has submitted and subscribed). */
  async until(cond: () => boolean): Promise<void> {
    for (let i = 0; i < 1_000 && !cond(); i++) await new Promise((r) => setTimeout(r, 2))
    if (!cond()) throw new Error('condition never held')
  }
}

let server: ApiServer | null = null
afterEach(async () => {
  await server?.close()
  server = null
})

async function start(swarm: FakeSwarm, clock: Clock, apiKey?: string): Promise<ApiServer> {
  server = await startApiServer({ gateway: swarm, host: '127.0.0.1', port: 0, timeoutMs: 60_000, clock, progressEveryMs: 2_000, ...(apiKey ? { apiKey } : {}) })
  return server
}

const chat = (content = 'Why is the sky blue?', extra: Record<string, unknown> = {}) => JSON.stringify({ model: 'mindos-swarm', messages: [{ role: 'user', content }], ...extra })
const post = (s: ApiServer, body: string, headers: Record<string, string> = {}) => fetch(`${s.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })

async function expectError(res: Response, status: number, code: string, param?: string | null): Promise<string> {
  expect(res.status).toBe(status)
  const body = (await res.json()) as { error: { message: string; type: string; param: string | null; code: string } }
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type'])
  expect(body.error.code).toBe(code)
  expect(body.error.message.length).toBeGreaterThan(10)
  if (param !== undefined) expect(body.error.param).toBe(param)
  return body.error.message
}

describe('the swarm API', () => {
  it('lists mindos-swarm', async () => {
    const s = await start(new FakeSwarm(), new ManualClock())
    const list = (await (await fetch(`${s.url}/models`)).json()) as { object: string; data: { id: string; object: string }[] }
    expect(list.object).toBe('list')
    expect(list.data.map((m) => m.id)).toEqual(['mindos-swarm'])
    expect((await (await fetch(`${s.url}/models/mindos-swarm`)).json()).id).toBe('mindos-swarm')
    await expectError(await fetch(`${s.url}/models/gpt-4`), 404, 'model_not_found')
  })

  it('answers a completion with the swarm\'s final answer and x_mindos', async () => {
    const swarm = new FakeSwarm()
    const s = await start(swarm, new ManualClock())
    const pending = post(s, chat())
    await swarm.until(() => swarm.watching('task-1') === 1)
    swarm.push(view('task-1', { partial: 'The sky' })) // partials don't matter without stream
    swarm.push(DONE('task-1', 'Rayleigh scattering.'))
    const res = await pending
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, any>
    expect(body).toMatchObject({ id: 'chatcmpl-task-1', object: 'chat.completion', model: 'mindos-swarm', usage: { prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 } })
    expect(body.choices).toEqual([{ index: 0, message: { role: 'assistant', content: 'Rayleigh scattering.', refusal: null }, logprobs: null, finish_reason: 'stop' }])
    expect(body.x_mindos).toEqual({
      task_id: 'task-1',
      room: 'r1',
      status: 'done',
      plan_steps: [{ id: 'task-1-s1', title: 'Find facts', status: 'done', verification: 'passed' }, { id: 'task-1-s2', title: 'Conclude', status: 'done', verification: 'unverified' }],
      provenance: { node: 'n1', name: 'amber-otter', engine: 'sim', model: 'sim-fast', simulated: true },
      verification: { outcome: 'partly-unverified', passed: 1, unverified: 1, failed: 0, total: 2 },
    })
    expect(swarm.prompts).toEqual(['Why is the sky blue?'])
    expect(swarm.watching('task-1')).toBe(0)
  })

  it('streams: role first, progress comments while nothing is written, the synthesizer\'s text as it grows, then finish, x_mindos and [DONE]', async () => {
    const swarm = new FakeSwarm()
    const clock = new ManualClock()
    const s = await start(swarm, clock)
    const res = await post(s, chat('Why?', { stream: true, stream_options: { include_usage: true } }))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    await swarm.until(() => swarm.watching('task-1') === 1)
    clock.advance(2_000)
    swarm.push(view('task-1', { steps: [{ id: 'x', title: 't', status: 'done', verification: 'passed' }] }))
    clock.advance(2_000)
    swarm.push(view('task-1', { partial: 'Rayleigh ' })) // trailing space held back: the answer is trimmed
    swarm.push(view('task-1', { partial: 'Rayleigh scatter' }))
    swarm.push(DONE('task-1', 'Rayleigh scattering.'))
    const text = await res.text()
    const events = text.split('\n\n').filter((e) => e !== '')
    expect(events.some((e) => e.startsWith(': progress task task-1'))).toBe(true)
    const data = events.filter((e) => e.startsWith('data: ')).map((e) => e.slice(6))
    expect(data.at(-1)).toBe('[DONE]')
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Record<string, any>)
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === 'chatcmpl-task-1')).toBe(true)
    expect(chunks[0]!.choices[0].delta).toEqual({ role: 'assistant', content: '' })
    const contents = chunks.flatMap((c) => (c.choices[0]?.delta.content ? [c.choices[0].delta.content as string] : []))
    expect(contents).toEqual(['Rayleigh', ' scatter', 'ing.'])
    const finish = chunks.find((c) => c.choices[0]?.finish_reason === 'stop')!
    expect(finish.x_mindos.task_id).toBe('task-1')
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: 42 } })
  })

  it('streams the full answer after a marker when another synthesizer attempt restarted it', async () => {
    const swarm = new FakeSwarm()
    const s = await start(swarm, new ManualClock())
    const res = await post(s, chat('Why?', { stream: true }))
    await swarm.until(() => swarm.watching('task-1') === 1)
    swarm.push(view('task-1', { partial: 'First try' }))
    swarm.push(view('task-1', { partial: 'Second' })) // a new attempt: not an extension
    swarm.push(DONE('task-1', 'Second attempt.'))
    const contents = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)).choices[0]?.delta?.content ?? '').join('')
    expect(contents).toBe('First try\n\n[The swarm restarted this answer; in full:]\n\nSecond attempt.')
  })

  it('401 without the key when --api-key is set, on every route; the right key passes', async () => {
    const swarm = new FakeSwarm()
    const s = await start(swarm, new ManualClock(), 'sesame')
    await expectError(await fetch(`${s.url}/models`), 401, 'invalid_api_key')
    await expectError(await post(s, chat()), 401, 'invalid_api_key')
    await expectError(await post(s, chat(), { authorization: 'Bearer wrong' }), 401, 'invalid_api_key')
    expect((await fetch(`${s.url}/models`, { headers: { authorization: 'Bearer sesame' } })).status).toBe(200)
    expect(swarm.prompts).toEqual([])
  })

  it('400 for malformed JSON, a non-object, missing fields, bad roles and unsupported options', async () => {
    const swarm = new FakeSwarm()
    const s = await start(swarm, new ManualClock())
    await expectError(await post(s, '{"model": "mindos-swarm", "messages": ['), 400, 'invalid_json')
    await expectError(await post(s, '[1,2]'), 400, 'invalid_request')
    await expectError(await post(s, JSON.stringify({ messages: [{ role: 'user', content: 'x' }] })), 400, 'invalid_request', 'model')
    await expectError(await post(s, JSON.stringify({ model: 'mindos-swarm', messages: [] })), 400, 'invalid_request', 'messages')
    await expectError(await post(s, JSON.stringify({ model: 'mindos-swarm', messages: [{ role: 'wizard', content: 'x' }] })), 400, 'invalid_request', 'messages[0].role')
    await expectError(await post(s, JSON.stringify({ model: 'mindos-swarm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] })), 400, 'invalid_request', 'messages[0].content')
    await expectError(await post(s, chat('x', { stream: 'yes' })), 400, 'invalid_request', 'stream')
    await expectError(await post(s, chat('x', { n: 2 })), 400, 'invalid_request', 'n')
    await expectError(await post(s, JSON.stringify({ model: 'mindos-swarm', messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'y' }] })), 400, 'invalid_request', 'messages')
    await expectError(await post(s, chat('x', { model: 'gpt-4o' })), 404, 'model_not_found', 'model')
    await expectError(await fetch(`${s.url}/chat/completions`), 405, 'method_not_allowed')
    // A web page can send text/plain without a preflight: refused, so no site can put tasks on the board.
    await expectError(await fetch(`${s.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: chat() }), 400, 'invalid_content_type')
    await expectError(await fetch(`${s.url}/embeddings`, { method: 'POST', body: '{}' }), 404, 'not_found')
    expect(swarm.prompts).toEqual([])
  })

  it('400 for oversized requests: a body over the byte limit, and a task over the board\'s 4000 characters', async () => {
    const swarm = new FakeSwarm()
    const s = await start(swarm, new ManualClock())
    await expectError(await post(s, chat('x'.repeat(300_000))), 400, 'request_too_large')
    const msg = await expectError(await post(s, chat('y'.repeat(4_001))), 400, 'context_length_exceeded', 'messages')
    expect(msg).toMatch(/4001 characters.*at most 4000/)
    expect(swarm.prompts).toEqual([])
  })

  it('503 in OpenAI\'s shape when no tab in the room can run a task', async () => {
    const swarm = new FakeSwarm()
    const s = await start(swarm, new ManualClock())
    swarm.tabs = []
    const none = await post(s, chat())
    expect(none.headers.get('retry-after')).toBe('5')
    expect(await expectError(none, 503, 'no_capacity')).toMatch(/No donor tab/)
    swarm.tabs = [readyTab({ engineState: 'loading' })]
    expect(await expectError(await post(s, chat()), 503, 'no_capacity')).toMatch(/no node has a ready engine.*loading/)
    swarm.tabs = [readyTab({ roles: ['verifier'] })]
    expect(await expectError(await post(s, chat()), 503, 'no_capacity')).toMatch(/planner, researcher, synthesizer roles/)
    swarm.tabs = [readyTab()]
    swarm.failSubmit = 'tab 1 is not running'
    expect(await expectError(await post(s, chat()), 503, 'no_capacity')).toMatch(/could not take the task \(tab 1 is not running\)/)
    swarm.failSubmit = null
    swarm.tabs = [readyTab({ paused: true })]
    expect(await expectError(await post(s, chat()), 503, 'no_capacity')).toMatch(/ready but paused/)
    expect(swarm.prompts).toEqual([])
  })

  it('504 when the swarm takes longer than the timeout; the task stays on the board', async () => {
    const swarm = new FakeSwarm()
    const clock = new ManualClock()
    const s = await start(swarm, clock)
    const pending = post(s, chat())
    await swarm.until(() => swarm.watching('task-1') === 1)
    clock.advance(60_000)
    const timedOut = await pending
    expect(timedOut.headers.get('x-should-retry')).toBe('false') // a retry would be a second task
    const msg = await expectError(timedOut, 504, 'timeout')
    expect(msg).toMatch(/task-1 stays on the board/)
    expect(swarm.watching('task-1')).toBe(0)
    // Streaming: the headers are out, so the error comes as an event before [DONE].
    const res = await post(s, chat('Again', { stream: true }))
    await swarm.until(() => swarm.watching('task-2') === 1)
    clock.advance(60_000)
    const text = await res.text()
    expect(text).toMatch(/data: \{"error":\{"message":"The swarm did not answer within 60 s[^\n]*"code":"timeout"\}\}\n\ndata: \[DONE\]\n\n$/)
  })

  it('a failed task answers 502 with the board\'s reason', async () => {
    const swarm = new FakeSwarm()
    const s = await start(swarm, new ManualClock())
    const pending = post(s, chat())
    await swarm.until(() => swarm.watching('task-1') === 1)
    swarm.push(view('task-1', { status: 'failed', failure: 'planning failed: no planner' }))
    const failed = await pending
    expect(failed.headers.get('x-should-retry')).toBe('false')
    expect(await expectError(failed, 502, 'task_failed')).toMatch(/planning failed: no planner/)
  })

  it('several requests at once become several tasks, each answered with its own result', async () => {
    const swarm = new FakeSwarm()
    const s = await start(swarm, new ManualClock())
    const requests = [0, 1, 2].map((i) => post(s, chat(`Question ${i}`)))
    await swarm.until(() => [1, 2, 3].every((n) => swarm.watching(`task-${n}`) === 1))
    for (const n of [3, 1, 2]) swarm.push(DONE(`task-${n}`, `Answer for task ${n}`))
    const answers = await Promise.all(requests.map(async (r) => ((await (await r).json()) as any).choices[0].message.content as string))
    const byPrompt = new Map(swarm.prompts.map((p, i) => [p, `Answer for task ${i + 1}`]))
    expect(answers).toEqual([0, 1, 2].map((i) => byPrompt.get(`Question ${i}`)))
    expect(new Set(swarm.prompts).size).toBe(3)
  })
})
