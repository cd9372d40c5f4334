/**
 * Glue between `ws` sockets and the pure pieces (protocol, limits, registry).
 * server.ts hands each upgraded socket to `SignalingHub.attach`.
 *
 * Contract: nothing here throws out of a socket event handler, and whatever
 * one connection sends only ever costs that connection (its frame dropped, or
 * it is closed); other connections and rooms are untouched.
 */
import { WebSocket } from 'ws'
import type { RawData } from 'ws'
import { createLogger } from '../src/log'
import { RateLimitedLog } from './drop-log'
import type { SignalingLimits } from './limits'
import { CloseReason, DropReason, TokenBucket } from './limits'
import type { ServerCloseReason, SignalingMetrics } from './metrics'
import type { ClientFrame } from './protocol'
import { PONG_TEXT, parseFrame } from './protocol'
import type { Conn } from './topic-registry'
import { TopicRegistry } from './topic-registry'

const log = createLogger('signal')

interface ConnState {
  readonly ws: WebSocket
  readonly conn: Conn
  readonly frames: TokenBucket
  readonly violations: TokenBucket
  /** Set when the last keepalive ping was answered (or on connect). */
  alive: boolean
  /** Set once we decided to end the connection: later frames are ignored, as stock does. */
  ending: boolean
}

export interface SignalingHubOptions {
  readonly limits: SignalingLimits
  readonly metrics: SignalingMetrics
  readonly now: () => number
}

export class SignalingHub {
  readonly registry: TopicRegistry
  private readonly states = new Map<WebSocket, ConnState>()
  private readonly dropLog: RateLimitedLog
  private readonly keepalive: ReturnType<typeof setInterval>
  private nextId = 0

  constructor(private readonly opts: SignalingHubOptions) {
    this.registry = new TopicRegistry(opts.limits)
    this.dropLog = new RateLimitedLog(log, opts.now)
    // One sweep for all connections (the pattern ws documents) instead of a timer each.
    this.keepalive = setInterval(() => this.sweep(), opts.limits.keepaliveIntervalMs)
  }

  get connectionCount(): number {
    return this.states.size
  }

  /** Takes ownership of an upgraded socket until it closes. */
  attach(ws: WebSocket, remoteAddress: string): void {
    const { limits, metrics, now } = this.opts
    const id = `c${++this.nextId}`
    const state: ConnState = {
      ws,
      conn: this.makeConn(id, ws),
      frames: new TokenBucket(limits.messageBurst, limits.messagesPerSecond, now),
      violations: new TokenBucket(limits.rateViolationsBeforeClose, 1, now),
      alive: true,
      ending: false,
    }
    this.states.set(ws, state)
    metrics.connectionsTotal++
    log.debug('connection opened', { id, remoteAddress })

    ws.on('pong', () => {
      state.alive = true
    })
    ws.on('message', (data: RawData, isBinary: boolean) => {
      try {
        this.onFrame(state, data, isBinary)
      } catch (err) {
        // A bug here must not take the process (and every other room) down.
        log.error('unexpected error handling frame', { id, error: String(err) })
      }
    })
    ws.on('error', (err: Error & { code?: string }) => {
      // ws closes the socket itself after these (e.g. 1009 past maxPayload, 1007 bad UTF-8).
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') metrics.countClose('frame_too_big')
      this.dropLog.warn('socket error', { id, code: err.code, error: err.message })
    })
    ws.on('close', () => {
      this.states.delete(ws)
      this.registry.remove(state.conn)
      log.debug('connection closed', { id })
    })
  }

  /** Stops the keepalive timer and drops every connection without a closing handshake. */
  destroy(): void {
    clearInterval(this.keepalive)
    for (const ws of this.states.keys()) ws.terminate()
  }

  private makeConn(id: string, ws: WebSocket): Conn {
    const { metrics, limits } = this.opts
    return {
      id,
      send: (text) => {
        // Like stock: a socket that is no longer open is closed rather than written to.
        if (ws.readyState !== WebSocket.OPEN) return ws.close()
        if (ws.bufferedAmount > limits.maxBufferedBytes) return this.end(ws, 'slow_consumer')
        try {
          ws.send(text)
          metrics.bytesOut += Buffer.byteLength(text)
        } catch {
          ws.close()
        }
      },
      close: (code, reason) => ws.close(code, reason),
    }
  }

  private onFrame(state: ConnState, data: RawData, isBinary: boolean): void {
    if (state.ending) return
    const { metrics, limits } = this.opts
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
    metrics.framesReceived++
    metrics.bytesIn += bytes.length
    if (bytes.length > limits.maxFrameBytes) return this.end(state.ws, 'frame_too_big')
    // Rate limiting comes before any parsing so garbage floods pay for themselves.
    if (!state.frames.tryTake()) {
      this.drop(state, DropReason.RATE_LIMITED)
      if (!state.violations.tryTake()) this.end(state.ws, 'rate_limit')
      return
    }
    if (isBinary) return this.drop(state, DropReason.BINARY)
    const parsed = parseFrame(bytes.toString('utf8'))
    if (!parsed.ok) return this.drop(state, parsed.reason)
    this.dispatch(state, parsed.frame)
  }

  private dispatch(state: ConnState, frame: ClientFrame): void {
    const { metrics } = this.opts
    switch (frame.type) {
      case 'subscribe':
        for (const { topic, reason } of this.registry.subscribe(state.conn, frame.topics)) {
          this.drop(state, reason, { topic: topic.slice(0, 64) })
        }
        return
      case 'unsubscribe':
        return this.registry.unsubscribe(state.conn, frame.topics)
      case 'publish': {
        const { receivers } = this.registry.publish(frame)
        if (receivers > 0) metrics.publishesRelayed++
        metrics.messagesRelayed += receivers
        return
      }
      case 'ping':
        return state.conn.send(PONG_TEXT)
    }
  }

  private drop(state: ConnState, reason: DropReason, extra: Record<string, unknown> = {}): void {
    this.opts.metrics.countDrop(reason)
    this.dropLog.warn('frame dropped', { id: state.conn.id, reason, ...extra })
  }

  /** Ends a connection for a policy reason: a close frame where the peer can read it, else terminate. */
  private end(ws: WebSocket, reason: ServerCloseReason): void {
    const state = this.states.get(ws)
    if (state === undefined || state.ending) return
    state.ending = true
    // Stop relaying to it now rather than when the close handshake completes.
    this.registry.remove(state.conn)
    this.opts.metrics.countClose(reason)
    this.dropLog.warn('connection closed by server', { id: state.conn.id, reason })
    if (reason === 'keepalive_timeout' || reason === 'slow_consumer') ws.terminate()
    else ws.close(CloseReason[reason].code, CloseReason[reason].reason)
  }

  private sweep(): void {
    for (const state of this.states.values()) {
      if (!state.alive) {
        // Already ending (close frame sent) but still silent: stop waiting for the handshake.
        if (state.ending) state.ws.terminate()
        else this.end(state.ws, 'keepalive_timeout')
        continue
      }
      state.alive = false
      try {
        state.ws.ping()
      } catch {
        state.ws.terminate()
      }
    }
  }
}
