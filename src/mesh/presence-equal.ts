/**
 * Whether two presences this tab would publish say the same thing.
 *
 * y-webrtc broadcasts the local awareness state to every peer on every
 * setLocalState, equal or not (it listens to awareness 'update', not
 * 'change'), and every peer then re-reads its peer list, re-renders and pokes
 * its scheduler. The engine controller notifies many times a second while a
 * model downloads (each progress report), and nothing in presence changes
 * then. The mesh's heartbeat still renews an unchanged presence.
 *
 * PresenceInput is plain JSON data built by one function (main.ts), so
 * comparing its serialisations is exact: same fields, same order.
 */
import type { PresenceInput } from './mesh-adapter'

export function samePresence(a: PresenceInput, b: PresenceInput): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b)
}
