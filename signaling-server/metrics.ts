/**
 * Counters for /metrics and /healthz. Plain numbers bumped by signaling.ts and
 * server.ts; rendering to the Prometheus text format (version 0.0.4) is a pure
 * function so its output is tested without a server.
 *
 * Every known label value is pre-seeded with 0: a series that appears only
 * after its first increment breaks `rate()` and "alert if > 0" rules.
 */
import { CloseReason, DropReason } from './limits'

/** Why an upgrade request was refused before it became a WebSocket. */
export const RejectReason = {
  PER_IP_LIMIT: 'per_ip_limit',
  BAD_PATH: 'bad_path',
} as const
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason]

/** Why the server ended a connection (clients closing on their own are not counted here). */
export type ServerCloseReason = CloseReason | 'keepalive_timeout' | 'slow_consumer'

function seeded<K extends string>(keys: readonly K[]): Map<K, number> {
  return new Map(keys.map((k) => [k, 0]))
}

export class SignalingMetrics {
  connectionsTotal = 0
  framesReceived = 0
  publishesRelayed = 0
  /** One per receiver of each relayed publish. */
  messagesRelayed = 0
  bytesIn = 0
  bytesOut = 0
  readonly framesDropped = seeded<DropReason>(Object.values(DropReason))
  readonly connectionsRejected = seeded<RejectReason>(Object.values(RejectReason))
  readonly connectionsClosed = seeded<ServerCloseReason>([
    ...(Object.keys(CloseReason) as CloseReason[]),
    'keepalive_timeout',
    'slow_consumer',
  ])

  countDrop(reason: DropReason): void {
    bump(this.framesDropped, reason)
  }

  countReject(reason: RejectReason): void {
    bump(this.connectionsRejected, reason)
  }

  countClose(reason: ServerCloseReason): void {
    bump(this.connectionsClosed, reason)
  }
}

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1)
}

/** Point-in-time values the metrics object does not own (read from the registry and server). */
export interface Gauges {
  readonly connections: number
  readonly rooms: number
  readonly uptimeSeconds: number
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

const PREFIX = 'mindos_signaling_'

type Sample = { readonly labels?: Record<string, string>; readonly value: number }

function family(name: string, type: 'counter' | 'gauge', help: string, samples: readonly Sample[]): string {
  const lines = [`# HELP ${PREFIX}${name} ${help}`, `# TYPE ${PREFIX}${name} ${type}`]
  for (const { labels, value } of samples) {
    const labelText =
      labels === undefined
        ? ''
        : `{${Object.entries(labels)
            .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
            .join(',')}}`
    lines.push(`${PREFIX}${name}${labelText} ${value}`)
  }
  return lines.join('\n')
}

function byReason<K extends string>(map: ReadonlyMap<K, number>): Sample[] {
  return [...map].map(([reason, value]) => ({ labels: { reason }, value }))
}

/** Renders the Prometheus exposition text served on GET /metrics. */
export function renderPrometheus(m: SignalingMetrics, g: Gauges): string {
  return (
    [
      family('connections', 'gauge', 'Open WebSocket connections.', [{ value: g.connections }]),
      family('connections_total', 'counter', 'WebSocket connections accepted since start.', [{ value: m.connectionsTotal }]),
      family('rooms', 'gauge', 'Topics (rooms) with at least one subscriber.', [{ value: g.rooms }]),
      family('uptime_seconds', 'gauge', 'Seconds since the server started.', [{ value: g.uptimeSeconds }]),
      family('frames_received_total', 'counter', 'Frames received from clients.', [{ value: m.framesReceived }]),
      family('publishes_relayed_total', 'counter', 'Publish frames fanned out to at least one subscriber.', [
        { value: m.publishesRelayed },
      ]),
      family('messages_relayed_total', 'counter', 'Publish frames delivered, counted per receiver.', [
        { value: m.messagesRelayed },
      ]),
      family('bytes_in_total', 'counter', 'Bytes of frames received from clients.', [{ value: m.bytesIn }]),
      family('bytes_out_total', 'counter', 'Bytes of frames sent to clients.', [{ value: m.bytesOut }]),
      family('frames_dropped_total', 'counter', 'Frames (or topics) dropped, by reason.', byReason(m.framesDropped)),
      family('connections_rejected_total', 'counter', 'Upgrade requests refused, by reason.', byReason(m.connectionsRejected)),
      family('connections_closed_total', 'counter', 'Connections ended by the server, by reason.', byReason(m.connectionsClosed)),
    ].join('\n') + '\n'
  )
}
