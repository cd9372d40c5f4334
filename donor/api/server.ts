/**
 * The swarm's OpenAI-compatible API on Node's own `http` module:
 *   GET  /v1/models                  → lists mindos-swarm
 *   GET  /v1/models/mindos-swarm
 *   POST /v1/chat/completions        → a task on the room's board; the swarm's final answer
 *                                      (`stream: true`: OpenAI's SSE chunks, then `data: [DONE]`)
 * Every error is OpenAI's JSON shape. Each request is its own task, so
 * concurrent requests run as concurrent tasks.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { systemClock, type Clock } from '../../src/clock'
import { createLogger } from '../../src/log'
import type { TaskView } from '../../src/bridge/protocol'
import { roomCapacity } from './capacity'
import type { SwarmGateway } from './gateway'
import {
  ApiError,
  MAX_BODY_BYTES,
  MODEL_ID,
  badRequest,
  chunkBody,
  completionBody,
  mindosExtension,
  modelList,
  modelObject,
  parseChatRequest,
  usageChunk,
  type ChatRequest,
} from './openai-protocol'
import { conversationToPrompt } from './prompt'
import { followTask, nextDelta, taskFailed } from './task-follow'

const log = createLogger('donor-api')

export interface ApiServerOptions {
  readonly gateway: SwarmGateway
  readonly host: string
  readonly port: number
  readonly apiKey?: string
  readonly timeoutMs: number
  readonly clock?: Clock
  /** Quiet streams get an SSE comment this often, so clients and proxies don't time out. */
  readonly progressEveryMs?: number
}

export interface ApiServer {
  /** http://host:port/v1 */
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end()
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers })
  res.end(JSON.stringify(body))
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) tooLarge = true
      else chunks.push(chunk)
    })
    req.on('error', reject)
    req.on('end', () => {
      if (tooLarge) return reject(badRequest(`The request body is larger than ${MAX_BODY_BYTES} bytes.`, null, 'request_too_large'))
      const text = Buffer.concat(chunks).toString('utf8')
      try {
        resolve(JSON.parse(text))
      } catch (err) {
        reject(badRequest(`The request body is not valid JSON (${(err as Error).message.slice(0, 120)}).`, null, 'invalid_json'))
      }
    })
  })
}

/**
 * OpenAI's clients retry 5xx by default. A retry after 502/504 would put a
 * second copy of the task on a board the first one is still on, so those say
 * `x-should-retry: false` (which the official clients obey); 503 means "no
 * capacity yet" and suggests when to try again.
 */
export function retryHeaders(status: number): Record<string, string> {
  if (status === 502 || status === 504) return { 'x-should-retry': 'false' }
  if (status === 503) return { 'retry-after': '5' }
  return {}
}

export function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const clock = opts.clock ?? systemClock
  const progressEvery = opts.progressEveryMs ?? 2_000
  const created = Math.floor(clock.now() / 1000)
  const { gateway } = opts
  const keyDigest = opts.apiKey !== undefined ? digest(opts.apiKey) : null

  const authorized = (req: http.IncomingMessage): boolean => {
    if (!keyDigest) return true
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')
    return m !== null && timingSafeEqual(digest(m[1]!.trim()), keyDigest)
  }

  const startTask = async (chat: ChatRequest): Promise<string> => {
    const prompt = conversationToPrompt(chat.messages)
    const capacity = roomCapacity(gateway.statuses(), gateway.room)
    if (!capacity.ok) throw new ApiError(503, 'server_error', 'no_capacity', capacity.reason)
    let reply
    try {
      reply = await gateway.submit(prompt)
    } catch (err) {
      // The tab went away between the capacity check and the submit (crash, restart).
      throw new ApiError(503, 'server_error', 'no_capacity', `The donor tab could not take the task (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); try again.`)
    }
    if (!reply.ok) throw reply.code === 'BAD_PROMPT' ? badRequest(reply.message, 'messages') : new ApiError(503, 'server_error', 'no_capacity', reply.message)
    log.info(`request → task ${reply.taskId}${chat.stream ? ' (streaming)' : ''}`)
    return reply.taskId
  }

  const complete = async (res: http.ServerResponse, chat: ChatRequest): Promise<void> => {
    const taskId = await startTask(chat)
    const follow = followTask(gateway, clock, taskId, opts.timeoutMs, () => {})
    res.on('close', () => follow.cancel())
    const view = await follow.done
    if (view.status === 'failed') throw taskFailed(view)
    sendJson(res, 200, completionBody(view, gateway.room, Math.floor(clock.now() / 1000)))
  }

  const stream = async (res: http.ServerResponse, chat: ChatRequest): Promise<void> => {
    const taskId = await startTask(chat)
    const createdAt = Math.floor(clock.now() / 1000)
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' })
    const write = (text: string): void => {
      if (!res.writableEnded) res.write(text)
      lastWrite = clock.now()
    }
    const data = (body: unknown): void => write(`data: ${JSON.stringify(body)}\n\n`)
    let lastWrite = clock.now()
    let sent = ''
    let diverged = false
    let latest: TaskView | null = null
    data(chunkBody(taskId, createdAt, { role: 'assistant', content: '' }, null))
    const tick = (): void => {
      if (res.writableEnded) return
      if (clock.now() - lastWrite >= progressEvery - 1) {
        const steps = latest?.steps ?? []
        write(`: progress task ${taskId} ${latest?.status ?? 'submitted'}, ${steps.filter((s) => s.status === 'done').length}/${steps.length} steps done\n\n`)
      }
      cancelTick = clock.setTimeout(tick, progressEvery)
    }
    let cancelTick = clock.setTimeout(tick, progressEvery)
    const follow = followTask(gateway, clock, taskId, opts.timeoutMs, (view) => {
      latest = view
      if (diverged || view.partial === null) return
      const next = nextDelta(sent, view.partial)
      if ('diverged' in next) diverged = true // another attempt restarted the answer: wait for the final text
      else if (next.delta !== '') {
        sent += next.delta
        data(chunkBody(taskId, createdAt, { content: next.delta }, null))
      }
    })
    res.on('close', () => {
      follow.cancel()
      cancelTick()
    })
    try {
      const view = await follow.done
      if (view.status === 'failed') throw taskFailed(view)
      const answer = view.answer ?? ''
      const rest = answer.startsWith(sent) ? answer.slice(sent.length) : `\n\n[The swarm restarted this answer; in full:]\n\n${answer}`
      if (rest !== '') data(chunkBody(taskId, createdAt, { content: rest }, null))
      data(chunkBody(taskId, createdAt, {}, 'stop', { x_mindos: mindosExtension(view, gateway.room) }))
      if (chat.includeUsage) data(usageChunk(view, createdAt))
    } catch (err) {
      // Headers are out: the error goes in the stream, where OpenAI's clients raise it.
      data(err instanceof ApiError ? err.body() : { error: { message: String(err), type: 'server_error', param: null, code: null } })
    } finally {
      cancelTick()
      write('data: [DONE]\n\n')
      res.end()
    }
  }

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '')
    if (!path.startsWith('/v1/') && path !== '/v1') throw new ApiError(404, 'invalid_request_error', 'not_found', `Unknown path ${path.slice(0, 100)}; the API is under /v1.`)
    if (!authorized(req)) throw new ApiError(401, 'invalid_request_error', 'invalid_api_key', 'Missing or wrong API key: send "Authorization: Bearer <the --api-key>".')
    if (path === '/v1/models' || path === `/v1/models/${MODEL_ID}`) {
      if (req.method !== 'GET') throw new ApiError(405, 'invalid_request_error', 'method_not_allowed', `Use GET for ${path}.`)
      return sendJson(res, 200, path === '/v1/models' ? modelList(created) : modelObject(created))
    }
    if (path.startsWith('/v1/models/')) throw new ApiError(404, 'invalid_request_error', 'model_not_found', `The model "${path.slice(11, 111)}" does not exist; this API serves "${MODEL_ID}".`)
    if (path === '/v1/chat/completions') {
      if (req.method !== 'POST') throw new ApiError(405, 'invalid_request_error', 'method_not_allowed', 'Use POST for /v1/chat/completions.')
      // Also what keeps web pages out: a cross-site JSON POST needs a CORS preflight, which this server never grants.
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw badRequest('Send the body as JSON with "Content-Type: application/json".', null, 'invalid_content_type')
      const chat = parseChatRequest(await readBody(req))
      return chat.stream ? stream(res, chat) : complete(res, chat)
    }
    throw new ApiError(404, 'invalid_request_error', 'not_found', `Unknown path ${path.slice(0, 100)}.`)
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof ApiError ? err : new ApiError(500, 'server_error', 'internal_error', `Internal error: ${err instanceof Error ? err.message : String(err)}`)
      if (e.status >= 500) log.warn(`${req.method} ${req.url?.slice(0, 80)} → ${e.status} ${e.code}: ${e.message}`)
      // The body may not have been read (401 before a POST body): close rather than keep a half-read connection.
      if (!req.complete) res.setHeader('Connection', 'close')
      sendJson(res, e.status, e.body(), retryHeaders(e.status))
    })
  })
  server.requestTimeout = 0 // a completion may legitimately take minutes; our own timeout answers 504
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject)
      const { port } = server.address() as AddressInfo
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host
      resolve({
        url: `http://${host}:${port}/v1`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}
