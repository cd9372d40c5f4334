import { describe, expect, it } from 'vitest'
import { checkSignalingFrame, decidePendingConnections, parseSignalPayload } from '../../src/mesh/signaling-guard'

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
  it('times out attempts that never opened, never open ones', () => {
    const out = decidePendingConnections(
      [
        { peerId: 'old', connected: false, since: 0 },
        { peerId: 'open', connected: true, since: 0 },
        { peerId: 'new', connected: false, since: 5_000 },
      ],
      10_000,
      policy,
    )
    expect(out).toEqual({ timedOut: ['old'], evicted: [] })
  })
  it('evicts the oldest pending attempts over the cap, keeping the newest', () => {
    const conns = ['a', 'b', 'c', 'd'].map((peerId, i) => ({ peerId, connected: false, since: i * 100 }))
    expect(decidePendingConnections(conns, 1_000, policy)).toEqual({ timedOut: [], evicted: ['a', 'b'] })
  })
  it('does nothing when all is well', () => {
    expect(decidePendingConnections([{ peerId: 'a', connected: true, since: 0 }], 1e9, policy)).toEqual({ timedOut: [], evicted: [] })
  })
})
