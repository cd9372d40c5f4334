/**
 * Pure decision: why can no tab in the room take a task's ready step, and what
 * would unblock it? The task list and the answer panel show the result as the
 * swarm notice (swarm-notice.ts); main.ts feeds it the derived board, this
 * tab's engine and donor settings, and the peers' presence.
 *
 * A step is stalled when it is ready and no member (this tab or a connected
 * peer) could ever claim it: not paused, takes the step's role, and has an
 * engine that is ready or busy generating (a busy node gets to it later, so
 * that is not a stall). The moment any tab claims the step it is no longer
 * ready, and the notice goes away by itself.
 */
import type { Role } from '../board'
import type { ControllerSnapshot } from '../inference/engine-controller'
import type { PresenceState } from '../mesh'
import type { DerivedTask } from '../scheduler'

/** One tab as the notice sees it; built from presence (peers) or from the controller (this tab). */
export interface SwarmMember {
  readonly name: string
  readonly self: boolean
  readonly paused: boolean
  readonly roles: readonly string[]
  /** EngineState as published in presence; undefined for peers that say nothing. */
  readonly engineState: string | undefined
  readonly model: string | null | undefined
  /** This tab's last engine error, written for a person. */
  readonly error?: string
}

/** What this tab would load if asked: the model its node panel offers by default. */
export interface Recommended {
  readonly modelId: string
  readonly sizeMB: number
}

export const StallKind = {
  noModel: 'no-model',
  loading: 'loading',
  noRole: 'no-role',
  allPaused: 'all-paused',
  allFailed: 'all-failed',
} as const
export type StallKind = (typeof StallKind)[keyof typeof StallKind]

export type StallAction =
  | { readonly kind: 'load'; readonly modelId: string; readonly label: string }
  | { readonly kind: 'resume'; readonly label: string }
  | { readonly kind: 'enable-role'; readonly role: Role; readonly label: string }

export interface StallNotice {
  readonly kind: StallKind
  readonly role: Role
  readonly taskIds: readonly string[]
  readonly message: string
  /** What this tab can do about it, one click each; empty when only other tabs can help. */
  readonly actions: readonly StallAction[]
}

export interface StallInput {
  readonly derived: ReadonlyMap<string, DerivedTask>
  readonly rootId: string
  /** This tab (self: true) and every connected peer. */
  readonly members: readonly SwarmMember[]
  /** null when this tab cannot load anything (no WebGPU, no model fits). */
  readonly recommended: Recommended | null
}

const WORKING = new Set(['ready', 'generating'])
const LOADING = new Set(['downloading', 'loading'])
const FAILED = new Set(['error', 'no-webgpu'])

export function formatSize(mb: number): string {
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.max(1, Math.round(mb))} MB`
}

export function loadLabel(r: Recommended): string {
  return `Load ${r.modelId} (${formatSize(r.sizeMB)})`
}

const canWork = (m: SwarmMember, role: string): boolean => !m.paused && m.roles.includes(role) && WORKING.has(m.engineState ?? '')

function names(members: readonly SwarmMember[]): string {
  const list = members.map((m) => (m.self ? 'this tab' : m.name))
  return list.length <= 3 ? list.join(', ') : `${list.slice(0, 3).join(', ')} and ${list.length - 3} more`
}

/** Ready steps of one task that no member can take, grouped by role, first role first. */
function stalledSteps(input: StallInput): Map<Role, DerivedTask[]> {
  const out = new Map<Role, DerivedTask[]>()
  const ready = [...input.derived.values()]
    .filter((d) => d.task.rootId === input.rootId && d.status === 'ready' && !d.superseded && d.task.role !== undefined)
    .sort((a, b) => a.task.createdAt - b.task.createdAt || a.task.id.localeCompare(b.task.id))
  for (const d of ready) {
    const role = d.task.role!
    if (input.members.some((m) => canWork(m, role))) continue
    const list = out.get(role)
    if (list) list.push(d)
    else out.set(role, [d])
  }
  return out
}

/** Why the task `rootId` is stuck, or null when every ready step has someone who can take it. */
export function explainStall(input: StallInput): StallNotice | null {
  const stalled = stalledSteps(input)
  const first = stalled.entries().next()
  if (first.done) return null
  const [role, steps] = first.value
  return describe(role, steps, input)
}

function describe(role: Role, steps: readonly DerivedTask[], input: StallInput): StallNotice {
  const { members, recommended } = input
  const self = members.find((m) => m.self)
  const step = steps.length === 1 ? `the ${role} step "${steps[0]!.task.title}"` : `${steps.length} ${role} steps`
  const base = { role, taskIds: steps.map((s) => s.task.id) }
  const selfCanLoad = recommended !== null && self !== undefined && !WORKING.has(self.engineState ?? '') && !LOADING.has(self.engineState ?? '') && self.engineState !== 'no-webgpu'
  const loadAction = (): StallAction[] => (selfCanLoad ? [{ kind: 'load', modelId: recommended.modelId, label: loadLabel(recommended) }] : [])
  const resumeAction = (): StallAction[] => (self?.paused ? [{ kind: 'resume', label: 'Resume donating' }] : [])
  const roleAction = (): StallAction[] => (self && !self.roles.includes(role) ? [{ kind: 'enable-role', role, label: `Take the ${role} role` }] : [])
  const hint = recommended && selfCanLoad ? ` ${recommended.modelId} (${formatSize(recommended.sizeMB)}) is the recommended model for this tab.` : ''

  const loading = members.filter((m) => !m.paused && m.roles.includes(role) && LOADING.has(m.engineState ?? ''))
  if (loading.length > 0) {
    const models = [...new Set(loading.map((m) => m.model).filter((m): m is string => !!m))]
    return {
      ...base,
      kind: StallKind.loading,
      message: `Waiting for ${names(loading)} to finish loading ${models.length ? models.join(', ') : 'a model'}; ${step} starts then.`,
      actions: [],
    }
  }

  if (members.every((m) => m.paused)) {
    const anyModel = members.some((m) => WORKING.has(m.engineState ?? ''))
    return {
      ...base,
      kind: StallKind.allPaused,
      message: `Every tab in this room has paused donating, so nobody runs ${step}. Resume donating in one of them (Donation panel)${anyModel ? '' : ', and load a model there'}.${anyModel ? '' : hint}`,
      actions: [...resumeAction(), ...(anyModel ? [] : loadAction())],
    }
  }

  const working = members.filter((m) => WORKING.has(m.engineState ?? ''))
  if (working.length === 0) {
    if (members.every((m) => FAILED.has(m.engineState ?? ''))) {
      const why = self?.error ? ` This tab: ${self.error}` : self?.engineState === 'no-webgpu' ? ' This tab has no WebGPU.' : ''
      return {
        ...base,
        kind: StallKind.allFailed,
        message: `Every engine in this room has failed, so nobody can run ${step}.${why} Load the model again, pick a smaller one, or open the join link on a device that can run models.${hint}`,
        actions: [...loadAction(), ...resumeAction()],
      }
    }
    return {
      ...base,
      kind: StallKind.noModel,
      message: `No tab in this room has a model loaded, so nobody can run ${step}. Load a model in any tab's "This node" panel.${hint}${self?.engineState === 'no-webgpu' ? ' This tab cannot run models (no WebGPU): open the join link on a device that can.' : ''}`,
      actions: [...loadAction(), ...resumeAction(), ...roleAction()],
    }
  }

  // Engines are ready somewhere, but none of them is both unpaused and taking this role.
  const pausedWithRole = working.filter((m) => m.paused && m.roles.includes(role))
  if (working.every((m) => m.paused)) {
    return {
      ...base,
      kind: StallKind.allPaused,
      message: `Every tab with a model loaded (${names(working)}) has paused donating, so nobody runs ${step}. Resume donating in one of them.`,
      actions: working.some((m) => m.self) ? resumeAction() : [],
    }
  }
  const selfWorking = self !== undefined && WORKING.has(self.engineState ?? '')
  return {
    ...base,
    kind: StallKind.noRole,
    message: `No tab takes the ${role} role, so nobody runs ${step}. Tick "${role}" under Donation in a tab with a model loaded (${names(working.filter((m) => !m.paused))})${pausedWithRole.length ? `, or resume donating in ${names(pausedWithRole)}` : ''}.`,
    actions: selfWorking ? [...roleAction(), ...resumeAction()] : [],
  }
}

/** One notice per stuck, unfinished task, keyed by root id. */
export function explainStalls(derived: ReadonlyMap<string, DerivedTask>, members: readonly SwarmMember[], recommended: Recommended | null): Map<string, StallNotice> {
  const out = new Map<string, StallNotice>()
  for (const d of derived.values()) {
    if (d.task.kind !== 'root' || d.status === 'done' || d.status === 'failed') continue
    const notice = explainStall({ derived, rootId: d.task.id, members, recommended })
    if (notice) out.set(d.task.id, notice)
  }
  return out
}

/** A connected peer as the notice sees it; presence was validated by the mesh (parsePresence). */
export function memberFromPresence(p: PresenceState): SwarmMember {
  return { name: p.name, self: false, paused: p.state === 'paused', roles: p.caps.roles ?? [], engineState: p.caps.engineState, model: p.caps.model }
}

/**
 * The model the node panel would load here: the selected one (the remembered
 * choice, else the catalog default), never the test fixture.
 */
export function recommendedModel(s: Pick<ControllerSnapshot, 'state' | 'models' | 'selectedModel' | 'defaultModel'>): Recommended | null {
  if (s.state === 'no-webgpu') return null
  const pick = (id: string | null) => s.models.find((m) => m.id === id && !m.testFixture)
  const m = pick(s.selectedModel) ?? pick(s.defaultModel)
  return m ? { modelId: m.id, sizeMB: m.vramRequiredMB } : null
}
