/**
 * Who is subscribed to which topic (y-webrtc room). Pure bookkeeping with no
 * sockets, so it is tested without a network; signaling.ts adapts each
 * WebSocket to `Conn`.
 *
 * Differs from the stock server in two deliberate ways: `unsubscribe` also
 * forgets the topic on the connection side and deletes empty topics (stock
 * leaks both until close), and subscriptions are capped by the limits.
 */
import type { SignalingLimits } from './limits'
import { DropReason } from './limits'
import type { PublishFrame } from './protocol'

/** What the registry needs from a connection. `send` must not throw. */
export interface Conn {
  readonly id: string
  send(text: string): void
  close(code: number, reason: string): void
}

export interface TopicRejection {
  readonly topic: string
  readonly reason: typeof DropReason.EMPTY_TOPIC | typeof DropReason.TOPIC_TOO_LONG | typeof DropReason.TOO_MANY_TOPICS
}

export interface PublishResult {
  /** How many connections the frame was sent to (the `clients` field). */
  readonly receivers: number
  /** Bytes of the relayed text, summed over receivers. */
  readonly bytesOut: number
}

type TopicLimits = Pick<SignalingLimits, 'maxTopicsPerConnection' | 'maxTopicNameLength'>

export class TopicRegistry {
  private readonly subscribers = new Map<string, Set<Conn>>()
  private readonly topicsOf = new Map<Conn, Set<string>>()

  constructor(private readonly limits: TopicLimits) {}

  /**
   * Subscribes `conn` to each acceptable topic. Topics past the per-connection
   * cap are rejected one by one rather than failing the whole frame, because
   * y-webrtc resubscribes every room in one frame after a reconnect and the
   * rooms that fit should keep working.
   */
  subscribe(conn: Conn, topics: readonly string[]): TopicRejection[] {
    const rejected: TopicRejection[] = []
    const mine = this.topicsOf.get(conn) ?? new Set<string>()
    for (const topic of topics) {
      if (topic === '') {
        rejected.push({ topic, reason: DropReason.EMPTY_TOPIC })
      } else if (topic.length > this.limits.maxTopicNameLength) {
        rejected.push({ topic, reason: DropReason.TOPIC_TOO_LONG })
      } else if (!mine.has(topic) && mine.size >= this.limits.maxTopicsPerConnection) {
        rejected.push({ topic, reason: DropReason.TOO_MANY_TOPICS })
      } else {
        mine.add(topic)
        let subs = this.subscribers.get(topic)
        if (subs === undefined) {
          subs = new Set()
          this.subscribers.set(topic, subs)
        }
        subs.add(conn)
      }
    }
    if (mine.size > 0) this.topicsOf.set(conn, mine)
    return rejected
  }

  /** Unknown topics are ignored, as in stock. */
  unsubscribe(conn: Conn, topics: readonly string[]): void {
    const mine = this.topicsOf.get(conn)
    if (mine === undefined) return
    for (const topic of topics) {
      if (mine.delete(topic)) this.dropSubscriber(topic, conn)
    }
    if (mine.size === 0) this.topicsOf.delete(conn)
  }

  /**
   * Relays `frame` to every subscriber of its topic, sender included, with
   * `clients` overwritten by the receiver count. Serialised once: spreading
   * keeps key order, so the text equals stock's
   * `JSON.stringify(Object.assign(message, { clients }))`.
   */
  publish(frame: PublishFrame): PublishResult {
    const receivers = this.subscribers.get(frame.topic)
    if (receivers === undefined) return { receivers: 0, bytesOut: 0 }
    const clients = receivers.size
    const text = JSON.stringify({ ...frame, clients })
    // Copy first: a failing send closes its conn, and close handling calls remove().
    for (const receiver of [...receivers]) receiver.send(text)
    return { receivers: clients, bytesOut: Buffer.byteLength(text) * clients }
  }

  /** Called when a connection closes, for whatever reason. Idempotent. */
  remove(conn: Conn): void {
    const mine = this.topicsOf.get(conn)
    if (mine === undefined) return
    for (const topic of mine) this.dropSubscriber(topic, conn)
    this.topicsOf.delete(conn)
  }

  topicsFor(conn: Conn): ReadonlySet<string> {
    return this.topicsOf.get(conn) ?? new Set()
  }

  /** Rooms with at least one subscriber (the rooms gauge). */
  get topicCount(): number {
    return this.subscribers.size
  }

  subscriberCount(topic: string): number {
    return this.subscribers.get(topic)?.size ?? 0
  }

  private dropSubscriber(topic: string, conn: Conn): void {
    const subs = this.subscribers.get(topic)
    if (subs === undefined) return
    subs.delete(conn)
    if (subs.size === 0) this.subscribers.delete(topic)
  }
}
