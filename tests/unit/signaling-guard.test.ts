import { describe, expect, it } from 'vitest'
import { admitAnnounce, checkSignalingFrame, decidePendingConnections, parseSignalPayload } from '../../src/mesh/signaling-guard'

describe('parseSignalPayload', () => {
  it('accepts what y-webrtc sends', () => {
    expect(parseSignalPayload({ type: 'announce', from: 'abc' }).ok).toBe(true)
    expect(parseSignalPayload({ type: 'signal', from: 'a', to: 'b', token: 1.5, signal: { type: 'offer', sdp: 'v=0' } }).ok).toBe(true)
    expect(parseSignalPayload({ type: 'signal', from: 'a', to: 'b', signal: { candidate: {} } }).ok).toBe(true)
  })

  it.each([
    [null, 'not an object'],
    [[], 'not an object'],
    [{ type: 'announce' }, '"from"'],
    [{ type: 'announce', from: 'x'.repeat(200) }, '"from"'],
    [{ type: 'hello', from: 'a' }, 'unknown payload type'],
    [{ type: 'signal', from: 'a', signal: {} }, '"to"'],
    [{ type: 'signal', from: 'a', to: 'b' }, 'no body'],
    [{ type: 'signal', from: 'a', to: 'b', signal: { type: 7 } }, 'not a string'],
    [{ type: 'signal', from: 'a', to: 'b', token: 'x', signal: {} }, 'token'],
  ])('rejects %j', (payload, reason) => {
    const out = parseSignalPayload(payload)
    expect(out.ok).toBe(false)
    if (!out.ok) expect(out.reason).toContain(reason)
  })
})

describe('checkSignalingFrame', () => {
  it('passes non-publish frames through untouched', () => {
    expect(checkSignalingFrame({ type: 'pong' }, false)).toEqual({ ok: true, value: null })
  })
  it('rejects frames without a type or topic', () => {
    expect(checkSignalingFrame('x', false).ok).toBe(false)
    expect(checkSignalingFrame({ type: 'publish', data: { type: 'announce', from: 'a' } }, false).ok).toBe(false)
  })
  it('keyed rooms need a bounded encrypted string', () => {
    expect(checkSignalingFrame({ type: 'publish', topic: 't', data: 'YWJj' }, true).ok).toBe(true)
    expect(checkSignalingFrame({ type: 'publish', topic: 't', data: { type: 'announce', from: 'a' } }, true).ok).toBe(false)
    expect(checkSignalingFrame({ type: 'publish', topic: 't', data: 'A'.repeat(60_000) }, true).ok).toBe(false)
  })
  it('open rooms need a valid payload', () => {
    expect(checkSignalingFrame({ type: 'publish', topic: 't', data: { type: 'announce', from: 'a' } }, false).ok).toBe(true)
    expect(checkSignalingFrame({ type: 'publish', topic: 't', data: 'YWJj' }, false).ok).toBe(false)
  })
})

describe('decidePendingConnections', () => {
  const policy = { connectTimeoutMs: 10_000, maxPending: 2 }
  const conn = (peerId: string, since: number, opts: { connected?: boolean; responsive?: boolean } = {}) => ({ peerId, since, connected: opts.connected ?? false, responsive: opts.responsive ?? false })

  it('times out silent attempts that never opened, never open ones', () => {
    const out = decidePendingConnections([conn('old', 0), conn('open', 0, { connected: true }), conn('new', 5_000)], 10_000, policy)
    expect(out).toEqual({ timedOut: ['old'], retry: [] })
  })
  it('gives a peer that signalled three times as long, then retries it without distrust', () => {
    const conns = [conn('slow-honest', 0, { responsive: true }), conn('silent', 0)]
    expect(decidePendingConnections(conns, 10_000, policy)).toEqual({ timedOut: ['silent'], retry: [] })
    expect(decidePendingConnections(conns, 30_000, policy)).toEqual({ timedOut: ['silent'], retry: ['slow-honest'] })
  })
  it('does nothing when all is well', () => {
    expect(decidePendingConnections([conn('a', 0, { connected: true })], 1e9, policy)).toEqual({ timedOut: [], retry: [] })
  })
})

describe('admitAnnounce', () => {
  const policy = { connectTimeoutMs: 10_000, maxPending: 2 }
  const conn = (peerId: string, opts: { connected?: boolean; responsive?: boolean } = {}) => ({ peerId, since: 0, connected: opts.connected ?? false, responsive: opts.responsive ?? false })
  it('admits new peers until the silent attempts reach the cap', () => {
    expect(admitAnnounce([conn('a')], policy)).toBe(true)
    expect(admitAnnounce([conn('a'), conn('b')], policy)).toBe(false)
  })
  it('does not count open connections or peers that are signalling', () => {
    expect(admitAnnounce([conn('a', { connected: true }), conn('b', { responsive: true }), conn('c')], policy)).toBe(true)
  })
})
