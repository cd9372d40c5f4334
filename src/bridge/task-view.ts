/**
 * Pure: what the donor process needs to know about one task (a root), read
 * from a derived board. The API turns this into a chat completion: the steps
 * and their verification for `x_mindos`, the synthesizer's partial text for
 * streaming, and the root's accepted answer with its provenance.
 */
import { recordKey, type TaskId } from '../board/dag-schema'
import type { DerivedTask } from '../scheduler/derive'
import { BRIDGE_VERSION, type StepView, type TaskView } from './protocol'

const MAX_STEPS = 64
const MAX_TEXT = 24_000
const MAX_NAME = 200

const cut = (s: string, max: number): string => (s.length > max ? s.slice(0, max) : s)

export function taskView(derived: ReadonlyMap<TaskId, DerivedTask>, rootId: string): TaskView {
  const root = derived.get(rootId as TaskId)
  if (!root || root.task.kind !== 'root') {
    return { v: BRIDGE_VERSION, type: 'task', taskId: rootId, status: 'missing', failure: null, steps: [], partial: null, answer: null, provenance: null }
  }
  const members = [...derived.values()].filter((d) => d.task.rootId === root.task.id && !d.superseded)
  const steps: StepView[] = members
    .filter((d) => d.task.kind === 'research')
    .sort((a, b) => a.task.createdAt - b.task.createdAt || a.task.id.localeCompare(b.task.id))
    .slice(0, MAX_STEPS)
    .map((d) => ({ id: d.task.id, title: cut(d.task.title, MAX_NAME), status: d.status, verification: d.verification ?? null }))
  const synth = members.find((d) => d.task.kind === 'synthesize')
  let partial: string | null = null
  if (synth && !root.accepted) {
    // Only the current attempt's winner streams what will become the answer.
    const text = synth.winner ? synth.task.partials.get(recordKey(synth.attempt, synth.winner)) : undefined
    if (text !== undefined) partial = cut(text.trimStart(), MAX_TEXT)
  }
  const p = root.accepted?.result.provenance
  return {
    v: BRIDGE_VERSION,
    type: 'task',
    taskId: root.task.id,
    status: root.status,
    failure: root.failure ? cut(root.failure, 2_000) : null,
    steps,
    partial,
    answer: root.accepted ? cut(root.accepted.result.text, MAX_TEXT) : null,
    provenance: p
      ? {
          node: cut(p.node, 128),
          name: cut(p.name, MAX_NAME),
          engine: cut(p.engine, MAX_NAME),
          model: cut(p.model, MAX_NAME),
          simulated: p.simulated,
          tokensPerSec: Number.isFinite(p.tokensPerSec) ? p.tokensPerSec : 0,
          promptTokens: Math.max(0, Math.floor(p.promptTokens)),
          completionTokens: Math.max(0, Math.floor(p.completionTokens)),
        }
      : null,
  }
}
