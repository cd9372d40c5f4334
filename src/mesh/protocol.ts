/**
 * Presence protocol: what each tab publishes about itself through Yjs
 * awareness. Awareness states come from peers, so every read goes through
 * `parsePresence`, which rejects anything malformed instead of trusting it.
 *
 * `key` (the signing key id, src/trust/keys.ts) was added without bumping
 * PRESENCE_VERSION: older tabs ignore unknown fields, so mixed rooms keep
 * seeing each other. When present it must hash to `id`, or the presence is
 * rejected; when absent (an older tab) the peer parses but is "unverified"
 * (see `presenceIdentity`). A bound key is not proof of possession: that
 * comes from the signed records the key signs.
 */
import { isKeyId, nodeIdFromKeyId, type KeyId } from '../trust/keys'

export const PRESENCE_VERSION = 1

export type NodeId = string & { readonly __nodeId: true }

export const NodeState = {
  joining: 'joining',
  ready: 'ready',
  busy: 'busy',
  paused: 'paused',
} as const
export type NodeState = (typeof NodeState)[keyof typeof NodeState]

/** What this node can do. Grows as engines and roles arrive; all fields optional but typed. */
export interface Capabilities {
  readonly webgpu: boolean
  readonly vendor?: string
  readonly architecture?: string
  readonly engine?: string
  readonly simulated?: boolean
  readonly backend?: string
  readonly model?: string | null
  readonly tokensPerSec?: number | null
  readonly engineState?: string
  readonly roles?: readonly string[]
}

export interface PresenceState {
  readonly v: typeof PRESENCE_VERSION
  readonly id: NodeId
  readonly name: string
  readonly appVersion: string
  readonly state: NodeState
  readonly visible: boolean
  /** y-webrtc's per-room signaling peer id: lets us match awareness to a live WebRTC connection. */
  readonly meshPeerId: string
  readonly caps: Capabilities
  /** 0..1: how busy the node is (running tasks / capacity). */
  readonly load: number
  /** Incremented every heartbeat so relayed peers stay fresh in everyone's awareness. */
  readonly hb: number
  /** Public signing key; `id` is derived from it. Absent on tabs from before signed identities. */
  readonly key?: KeyId
}

/** 'key-bound': the node id is the hash of the published key; 'unverified': an older tab without a key. */
export function presenceIdentity(presence: PresenceState): 'key-bound' | 'unverified' {
  return presence.key === undefined ? 'unverified' : 'key-bound'
}

const MAX_STRING = 200
const isShortString = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_STRING
const isOptionalString = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.length <= MAX_STRING)
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function isNodeId(v: unknown): v is NodeId {
  return typeof v === 'string' && /^[a-z0-9-]{8,64}$/.test(v)
}

function isCapabilities(v: unknown): v is Capabilities {
  if (!isRecord(v) || typeof v.webgpu !== 'boolean') return false
  if (!['vendor', 'architecture', 'engine', 'backend', 'model', 'engineState'].every((k) => isOptionalString(v[k]))) return false
  if (v.simulated !== undefined && typeof v.simulated !== 'boolean') return false
  if (v.tokensPerSec !== undefined && v.tokensPerSec !== null && !(isFiniteNumber(v.tokensPerSec) && v.tokensPerSec >= 0)) return false
  if (v.roles !== undefined && !(Array.isArray(v.roles) && v.roles.length <= 8 && v.roles.every(isShortString))) return false
  return true
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string }

/** Validates a peer's awareness state. Unknown extra fields are tolerated (newer peers). */
export function parsePresence(raw: unknown): ParseResult<PresenceState> {
  if (!isRecord(raw)) return { ok: false, reason: 'not an object' }
  if (raw.v !== PRESENCE_VERSION) return { ok: false, reason: `unsupported presence version ${String(raw.v)}` }
  if (!isNodeId(raw.id)) return { ok: false, reason: 'bad node id' }
  if (!isShortString(raw.name)) return { ok: false, reason: 'bad name' }
  if (!isShortString(raw.appVersion)) return { ok: false, reason: 'bad appVersion' }
  if (typeof raw.state !== 'string' || !Object.hasOwn(NodeState, raw.state)) return { ok: false, reason: 'bad state' }
  if (typeof raw.visible !== 'boolean') return { ok: false, reason: 'bad visible flag' }
  if (!isShortString(raw.meshPeerId)) return { ok: false, reason: 'bad meshPeerId' }
  if (!isCapabilities(raw.caps)) return { ok: false, reason: 'bad capabilities' }
  if (!isFiniteNumber(raw.load) || raw.load < 0 || raw.load > 1) return { ok: false, reason: 'bad load' }
  if (!isFiniteNumber(raw.hb) || raw.hb < 0) return { ok: false, reason: 'bad heartbeat' }
  if (raw.key !== undefined && !isKeyId(raw.key)) return { ok: false, reason: 'bad key' }
  if (raw.key !== undefined && nodeIdFromKeyId(raw.key) !== raw.id) return { ok: false, reason: 'node id is not derived from its key' }
  return { ok: true, value: raw as unknown as PresenceState }
}
