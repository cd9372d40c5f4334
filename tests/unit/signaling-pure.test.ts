/**
 * The pure pieces of the signaling server, without sockets or real time:
 * frame parsing, the topic registry, token buckets, per-IP counting,
 * rate-limited logging, Prometheus rendering and Range parsing.
 */
import { describe, expect, it } from 'vitest'
import type { Logger } from '../../src/log'
import { ConfigError } from '../../src/errors'
import { RateLimitedLog } from '../../signaling-server/drop-log'
import { PerIpCounter, TokenBucket, resolveLimits } from '../../signaling-server/limits'
import { SignalingMetrics, renderPrometheus } from '../../signaling-server/metrics'
import { isPingFrame, isPublishFrame, isSubscribeFrame, parseFrame } from '../../signaling-server/protocol'
import { parseRange, resolveInside } from '../../signaling-server/static'
import type { Conn } from '../../signaling-server/topic-registry'
import { TopicRegistry } from '../../signaling-server/topic-registry'
import { manualClock } from './signaling-harness'

describe('parseFrame', () => {
  it('accepts what y-webrtc sends and keeps extra publish fields', () => {
    expect(parseFrame('{"type":"subscribe","topics":["a","b"]}')).toEqual({ ok: true, frame: { type: 'subscribe', topics: ['a', 'b'] } })
    expect(parseFrame('{"type":"unsubscribe","topics":[]}').ok).toBe(true)
    expect(parseFrame('{"type":"ping","junk":1}')).toEqual({ ok: true, frame: { type: 'ping' } })
    const publish = parseFrame('{"type":"publish","topic":"r","data":"b64==","x":[1]}')
    expect(publish).toEqual({ ok: true, frame: { type: 'publish', topic: 'r', data: 'b64==', x: [1] } })
  })

  it.each([
    ['', 'malformed_json'],
    ['{"type":', 'malformed_json'],
    ['null', 'not_an_object'],
    ['[{"type":"ping"}]', 'not_an_object'],
    ['{"type":"pong"}', 'unknown_type'],
    ['{"type":["ping"]}', 'unknown_type'],
    ['{"type":"subscribe"}', 'invalid_topics'],
    ['{"type":"subscribe","topics":[null]}', 'invalid_topics'],
    ['{"type":"publish","topic":""}', 'invalid_topic'],
    ['{"type":"publish","topic":{"a":1}}', 'invalid_topic'],
  ])('rejects %s as %s without throwing', (raw, reason) => {
    expect(parseFrame(raw)).toEqual({ ok: false, reason })
  })

  it('has guards that agree with the parser', () => {
    expect(isSubscribeFrame({ type: 'subscribe', topics: ['a'] })).toBe(true)
    expect(isSubscribeFrame({ type: 'subscribe', topics: [1] })).toBe(false)
    expect(isPublishFrame({ type: 'publish', topic: 'a' })).toBe(true)
    expect(isPublishFrame({ type: 'publish' })).toBe(false)
    expect(isPingFrame({ type: 'ping' })).toBe(true)
    expect(isPingFrame(null)).toBe(false)
  })
})

function fakeConn(id: string): Conn & { sent: string[] } {
  const sent: string[] = []
  return { id, sent, send: (text) => void sent.push(text), close: () => undefined }
}

describe('TopicRegistry', () => {
  const limits = { maxTopicsPerConnection: 2, maxTopicNameLength: 5 }

  it('fans a publish out to subscribers only, with clients = receivers', () => {
    const registry = new TopicRegistry(limits)
    const [a, b, c] = [fakeConn('a'), fakeConn('b'), fakeConn('c')]
    registry.subscribe(a, ['r'])
    registry.subscribe(b, ['r'])
    registry.subscribe(c, ['other'])
    expect(registry.publish({ type: 'publish', topic: 'r', data: 1 })).toEqual({ receivers: 2, bytesOut: 2 * a.sent[0]!.length })
    expect(a.sent).toEqual(['{"type":"publish","topic":"r","data":1,"clients":2}'])
    expect(b.sent).toEqual(a.sent)
    expect(c.sent).toEqual([])
  })

  it('rejects bad topics individually and enforces the per-connection cap', () => {
    const registry = new TopicRegistry(limits)
    const a = fakeConn('a')
    expect(registry.subscribe(a, ['', 'toolong', 'x', 'y', 'z', 'x'])).toEqual([
      { topic: '', reason: 'empty_topic' },
      { topic: 'toolong', reason: 'topic_too_long' },
      { topic: 'z', reason: 'too_many_topics' },
    ])
    expect([...registry.topicsFor(a)]).toEqual(['x', 'y'])
    registry.unsubscribe(a, ['x'])
    expect(registry.subscribe(a, ['z'])).toEqual([])
  })

  it('forgets empty topics on unsubscribe and remove', () => {
    const registry = new TopicRegistry(limits)
    const [a, b] = [fakeConn('a'), fakeConn('b')]
    registry.subscribe(a, ['r', 's'])
    registry.subscribe(b, ['r'])
    registry.unsubscribe(a, ['r', 'unknown'])
    expect(registry.subscriberCount('r')).toBe(1)
    expect(registry.topicCount).toBe(2)
    registry.remove(a)
    registry.remove(a)
    expect(registry.topicCount).toBe(1)
    registry.unsubscribe(b, ['r'])
    expect(registry.topicCount).toBe(0)
  })
})

describe('TokenBucket', () => {
  it('allows a burst, then refills at the configured rate', () => {
    const clock = manualClock()
    const bucket = new TokenBucket(3, 2, clock.now)
    expect([1, 2, 3, 4].map(() => bucket.tryTake())).toEqual([true, true, true, false])
    clock.advance(499)
    expect(bucket.tryTake()).toBe(false)
    clock.advance(1)
    expect(bucket.tryTake()).toBe(true)
    clock.advance(60_000)
    expect([1, 2, 3, 4].map(() => bucket.tryTake())).toEqual([true, true, true, false])
  })

  it('ignores a clock that goes backwards', () => {
    const clock = manualClock()
    const bucket = new TokenBucket(1, 1, clock.now)
    expect(bucket.tryTake()).toBe(true)
    clock.advance(-10_000)
    expect(bucket.tryTake()).toBe(false)
    clock.advance(1000)
    expect(bucket.tryTake()).toBe(true)
  })
})

describe('limits', () => {
  it('counts connections per IP and releases them', () => {
    const counter = new PerIpCounter(2)
    expect([counter.tryAcquire('1.2.3.4'), counter.tryAcquire('1.2.3.4'), counter.tryAcquire('1.2.3.4')]).toEqual([true, true, false])
    expect(counter.tryAcquire('5.6.7.8')).toBe(true)
    counter.release('1.2.3.4')
    expect(counter.count('1.2.3.4')).toBe(1)
    expect(counter.tryAcquire('1.2.3.4')).toBe(true)
  })

  it('merges overrides and refuses nonsense', () => {
    expect(resolveLimits({ keepaliveIntervalMs: 200 }).keepaliveIntervalMs).toBe(200)
    expect(resolveLimits().maxFrameBytes).toBe(64 * 1024)
    expect(() => resolveLimits({ maxFrameBytes: 0 })).toThrow(ConfigError)
    expect(() => resolveLimits({ messageBurst: Number.NaN })).toThrow(/messageBurst/)
  })
})

describe('RateLimitedLog', () => {
  it('writes a burst, suppresses the flood, then reports how much it swallowed', () => {
    const lines: unknown[] = []
    const logger: Logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (_m, data) => void lines.push(data) }
    const clock = manualClock()
    const log = new RateLimitedLog(logger, clock.now, { linesPerSecond: 1, burst: 2 })
    for (let i = 0; i < 100; i++) log.warn('dropped', { i })
    expect(lines).toEqual([{ i: 0 }, { i: 1 }])
    expect(log.suppressedCount).toBe(98)
    clock.advance(1000)
    log.warn('dropped', { i: 100 })
    expect(lines[2]).toEqual({ i: 100, suppressedSinceLastLine: 98 })
  })
})

describe('renderPrometheus', () => {
  it('renders every family with HELP/TYPE and pre-seeded reasons', () => {
    const m = new SignalingMetrics()
    m.countDrop('binary')
    m.countDrop('binary')
    m.countReject('per_ip_limit')
    const text = renderPrometheus(m, { connections: 3, rooms: 2, uptimeSeconds: 7 })
    expect(text).toContain('# TYPE mindos_signaling_rooms gauge\nmindos_signaling_rooms 2\n')
    expect(text).toContain('mindos_signaling_frames_dropped_total{reason="binary"} 2\n')
    expect(text).toContain('mindos_signaling_frames_dropped_total{reason="rate_limited"} 0\n')
    expect(text).toContain('mindos_signaling_connections_rejected_total{reason="per_ip_limit"} 1\n')
    expect(text).toContain('mindos_signaling_connections_closed_total{reason="keepalive_timeout"} 0\n')
    expect(text.endsWith('\n')).toBe(true)
  })
})

describe('static path and range helpers', () => {
  it.each([
    ['/index.html', '/srv/dist/index.html'],
    ['//etc/passwd', '/srv/dist/etc/passwd'],
    ['/a/../b.js', '/srv/dist/b.js'],
    ['/../dist-other/x', null],
    ['/%2e%2e/x', null],
    ['/%E0%A4%A', null],
    ['/a%00b', null],
  ])('resolveInside(/srv/dist, %s) = %s', (raw, expected) => {
    expect(resolveInside('/srv/dist', raw)).toBe(expected)
  })

  it.each([
    [undefined, null],
    ['bytes=0-0', { start: 0, end: 0 }],
    ['bytes=5-', { start: 5, end: 9 }],
    ['bytes=-3', { start: 7, end: 9 }],
    ['bytes=-30', { start: 0, end: 9 }],
    ['bytes=0-1,4-5', null],
    ['items=0-1', null],
    ['bytes=-', null],
    ['bytes=10-', 'unsatisfiable'],
    ['bytes=5-2', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
  ])('parseRange(%s, 10) = %j', (header, expected) => {
    expect(parseRange(header, 10)).toEqual(expected)
  })
})
