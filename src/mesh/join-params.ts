/**
 * Where to join, from the page URL:
 *   #room=NAME&key=SECRET   the fragment never reaches any server, so the
 *                           room secret stays between the people who share it;
 *   ?signaling=ws://h:p/x   (repeatable) overrides the signaling servers;
 *   ?ice=stun:h:p           (repeatable) ICE servers for WebRTC.
 * Bad values do not stop the tab: they fall back and are reported.
 */
export const LOBBY_ROOM = 'lobby'
const ROOM_PATTERN = /^[A-Za-z0-9._-]{1,64}$/

export interface JoinParams {
  readonly room: string
  readonly key?: string
  /** `#quorum=N` (1–4): verifiers that must pass each research result in this room; absent = the default rule (quorum.ts). */
  readonly quorum?: number
  readonly signalingUrls: readonly string[]
  readonly iceServers: readonly RTCIceServer[]
  /** Problems with the URL, written for a person. */
  readonly problems: readonly string[]
}

export interface PageLocation {
  readonly protocol: string
  readonly host: string
  readonly hostname: string
  readonly search: string
  readonly hash: string
}

export function parseJoinParams(loc: PageLocation): JoinParams {
  const problems: string[] = []
  const fragment = new URLSearchParams(loc.hash.replace(/^#/, ''))
  const query = new URLSearchParams(loc.search)

  let room = fragment.get('room') ?? LOBBY_ROOM
  if (!ROOM_PATTERN.test(room)) {
    problems.push(`Room name "${room.slice(0, 80)}" is not allowed (use 1–64 letters, digits, ".", "_" or "-"); joined "${LOBBY_ROOM}" instead.`)
    room = LOBBY_ROOM
  }
  const rawKey = fragment.get('key')
  const key = rawKey === null || rawKey === '' ? undefined : rawKey

  const signalingUrls: string[] = []
  const secure = loc.protocol === 'https:'
  for (const raw of query.getAll('signaling')) {
    if (!isWebSocketUrl(raw)) problems.push(`Ignored signaling server "${raw.slice(0, 120)}": it must be a ws:// or wss:// URL.`)
    // Browsers block ws:// from an https page (mixed content): say so instead of failing silently.
    else if (secure && raw.startsWith('ws:') && !isLoopback(raw)) problems.push(`Ignored signaling server "${raw.slice(0, 120)}": this page is served over HTTPS, so it needs wss://.`)
    else signalingUrls.push(raw)
  }
  // This server's own signaling, over TLS when the page is (`npm start -- --https`).
  if (signalingUrls.length === 0) signalingUrls.push(`${secure ? 'wss' : 'ws'}://${loc.host}/signal`)

  const iceServers: RTCIceServer[] = []
  for (const raw of query.getAll('ice')) {
    if (/^(stun|turns?):[^\s]+$/.test(raw)) iceServers.push({ urls: raw })
    else problems.push(`Ignored ICE server "${raw.slice(0, 120)}": it must start with stun:, turn: or turns:.`)
  }
  // With no ICE server WebRTC still connects on one host or LAN (host candidates), which is
  // what a local swarm needs; crossing NATs needs ?ice=stun:... (see README).

  const rawQuorum = fragment.get('quorum')
  let quorum: number | undefined
  if (rawQuorum !== null) {
    if (/^[1-4]$/.test(rawQuorum)) quorum = Number(rawQuorum)
    else problems.push(`Ignored quorum "${rawQuorum.slice(0, 20)}": it must be a number from 1 to 4.`)
  }

  return { room, key, signalingUrls, iceServers, problems, ...(quorum ? { quorum } : {}) }
}

/** Loopback is "potentially trustworthy": browsers let an https page reach ws://localhost. */
function isLoopback(raw: string): boolean {
  const host = new URL(raw).hostname
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host)
}

function isWebSocketUrl(raw: string): boolean {
  try {
    const url = new URL(raw)
    return url.protocol === 'ws:' || url.protocol === 'wss:'
  } catch {
    return false
  }
}

/** The link other people open to join this room (the secret rides in the fragment). */
export function joinLink(origin: string, pathname: string, search: string, room: string, key?: string): string {
  const fragment = new URLSearchParams({ room })
  if (key) fragment.set('key', key)
  return `${origin}${pathname}${search}#${fragment.toString()}`
}
