import { describe, expect, it } from 'vitest'
import { joinLink, parseJoinParams, LOBBY_ROOM } from '../../src/mesh/join-params'

const loc = (search: string, hash: string, protocol = 'http:') => ({ protocol, host: '127.0.0.1:8787', hostname: '127.0.0.1', search, hash })

describe('parseJoinParams', () => {
  it('defaults to the lobby and this server', () => {
    const p = parseJoinParams(loc('', ''))
    expect(p.room).toBe(LOBBY_ROOM)
    expect(p.key).toBeUndefined()
    expect(p.signalingUrls).toEqual(['ws://127.0.0.1:8787/signal'])
    expect(p.iceServers).toEqual([])
    expect(p.problems).toEqual([])
  })
  it('on https pages refuses ws:// signaling to other hosts (mixed content), allows loopback, and says so', () => {
    const p = parseJoinParams(loc('?signaling=ws://lan-box:8787/signal&signaling=ws://127.0.0.1:9/s&signaling=ws://localhost:9/s&signaling=wss://ok/s', '', 'https:'))
    expect(p.signalingUrls).toEqual(['ws://127.0.0.1:9/s', 'ws://localhost:9/s', 'wss://ok/s'])
    expect(p.problems).toEqual([expect.stringContaining('needs wss://')])
    const only = parseJoinParams(loc('?signaling=ws://lan-box:8787/signal', '', 'https:'))
    expect(only.signalingUrls).toEqual(['wss://127.0.0.1:8787/signal'])
  })

  it('uses wss on https pages', () => {
    expect(parseJoinParams(loc('', '', 'https:')).signalingUrls).toEqual(['wss://127.0.0.1:8787/signal'])
  })
  it('reads room and key from the fragment only', () => {
    const p = parseJoinParams(loc('?room=wrong&key=wrong', '#room=team-a&key=s3cret'))
    expect(p.room).toBe('team-a')
    expect(p.key).toBe('s3cret')
  })
  it('falls back to the lobby on a bad room name and says why', () => {
    const p = parseJoinParams(loc('', '#room=' + encodeURIComponent('<script>')))
    expect(p.room).toBe(LOBBY_ROOM)
    expect(p.problems[0]).toMatch(/not allowed/)
  })
  it('takes repeated signaling servers and rejects non-websocket ones', () => {
    const p = parseJoinParams(loc('?signaling=ws://a:1/x&signaling=http://b&signaling=wss://c/signal', ''))
    expect(p.signalingUrls).toEqual(['ws://a:1/x', 'wss://c/signal'])
    expect(p.problems).toHaveLength(1)
  })
  it('parses ICE servers', () => {
    const p = parseJoinParams(loc('?ice=stun:stun.example:3478&ice=bogus', ''))
    expect(p.iceServers).toEqual([{ urls: 'stun:stun.example:3478' }])
    expect(p.problems).toHaveLength(1)
  })
  it('builds a join link whose secret is only in the fragment', () => {
    const link = joinLink('http://127.0.0.1:8787', '/', '', 'team-a', 'k y')
    expect(link).toBe('http://127.0.0.1:8787/#room=team-a&key=k+y')
    expect(parseJoinParams(loc('', new URL(link).hash)).key).toBe('k y')
  })
})
