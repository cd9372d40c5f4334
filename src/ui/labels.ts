/**
 * Honest labels (invariant 7), one place for every panel: output from the
 * simulated engine is SIMULATED, output from the project's test model is
 * TEST FIXTURE, with the same badges and words the node panel uses.
 * Provenance comes from peers, so the fixture is recognised by its model id
 * (the one catalog entry marked testFixture), not by a flag a peer could omit.
 */
import type { Provenance } from '../board'
import { TINY_FIXTURE_ID } from '../inference/transformers-catalog'
import type { DerivedTask } from '../scheduler'
import { h } from './dom'

export const FIXTURE_NOTE = 'test fixture: proves the engine path, its output is nonsense'
export const SIMULATED_NOTE = 'Outputs come from a simulation, not a language model'

export interface OutputKind {
  readonly simulated: boolean
  readonly fixture: boolean
}

export function outputKind(p: Pick<Provenance, 'simulated' | 'model'>): OutputKind {
  return { simulated: p.simulated === true, fixture: p.model === TINY_FIXTURE_ID }
}

/** "SIMULATED · " / "TEST FIXTURE · " prefixes for one-line texts. */
export function labelPrefix(k: OutputKind): string {
  return `${k.simulated ? 'SIMULATED · ' : ''}${k.fixture ? 'TEST FIXTURE · ' : ''}`
}

/** The badges the node panel shows, for any output. */
export function outputBadges(k: OutputKind): HTMLElement | null {
  if (!k.simulated && !k.fixture) return null
  return h(
    'span',
    { class: 'output-badges' },
    k.simulated ? h('span', { class: 'badge sim', testid: 'output-label', 'data-label': 'simulated', title: SIMULATED_NOTE }, 'SIMULATED') : null,
    k.simulated && k.fixture ? ' ' : null,
    k.fixture ? h('span', { class: 'badge sim', testid: 'output-label', 'data-label': 'test-fixture', title: `${TINY_FIXTURE_ID}: ${FIXTURE_NOTE}` }, 'TEST FIXTURE') : null,
  )
}

/** Per node: did any of its accepted results come from the simulated engine or the test fixture (for the ledger). */
export function contributionKinds(derived: Iterable<DerivedTask>): Map<string, OutputKind> {
  const out = new Map<string, OutputKind>()
  for (const d of derived) {
    if (d.superseded || d.task.kind === 'root' || d.status !== 'done' || !d.accepted) continue
    const p = d.accepted.result.provenance
    const k = outputKind(p)
    const seen = out.get(p.node)
    out.set(p.node, { simulated: k.simulated || (seen?.simulated ?? false), fixture: k.fixture || (seen?.fixture ?? false) })
  }
  return out
}
