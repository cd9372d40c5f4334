/**
 * Pure: can the room run a task right now? Read from what the donor's own
 * tabs see: each tab's own node plus the peers in its presence list. A task
 * needs a planner, researchers and a synthesizer on nodes with a ready engine
 * that are not paused; verifiers are optional (results are then accepted
 * unverified, and labelled so).
 */
import type { TabStatus } from '../../src/bridge/protocol'

export const REQUIRED_ROLES = ['planner', 'researcher', 'synthesizer'] as const
const WORKING_ENGINE = new Set(['ready', 'generating'])

export type Capacity = { readonly ok: true; readonly nodes: number } | { readonly ok: false; readonly reason: string }

export function roomCapacity(tabs: readonly TabStatus[], room: string): Capacity {
  if (tabs.length === 0) return { ok: false, reason: `No donor tab is connected to room "${room}" yet (starting or restarting).` }
  const roles = new Map<string, Set<string>>() // node id → roles it can take now
  for (const t of tabs) {
    if (!t.paused && WORKING_ENGINE.has(t.engineState)) roles.set(t.nodeId, new Set(t.roles))
    for (const p of t.peers) {
      if ((p.state === 'ready' || p.state === 'busy') && WORKING_ENGINE.has(p.engineState)) roles.set(p.id, new Set(p.roles))
    }
  }
  if (roles.size === 0) {
    const engines = [...new Set(tabs.map((t) => (t.paused ? `${t.engineState} but paused` : t.engineState)))].join('; ')
    return { ok: false, reason: `No node in room "${room}" can run a task: no node has a ready engine and donates (donor tabs: ${engines}).` }
  }
  const missing = REQUIRED_ROLES.filter((r) => ![...roles.values()].some((set) => set.has(r)))
  if (missing.length > 0) return { ok: false, reason: `No node in room "${room}" can run a task: no ready node takes the ${missing.join(', ')} role${missing.length > 1 ? 's' : ''}.` }
  return { ok: true, nodes: roles.size }
}
