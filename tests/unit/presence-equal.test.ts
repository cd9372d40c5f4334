import { describe, expect, it } from 'vitest'
import { samePresence } from '../../src/mesh/presence-equal'
import type { PresenceInput } from '../../src/mesh/mesh-adapter'

const base = (): PresenceInput =>
  ({
    id: 'n1',
    name: 'Amber Otter',
    appVersion: '0.1.0',
    state: 'ready',
    visible: true,
    caps: { webgpu: false, engine: 'transformers', simulated: false, backend: 'wasm', model: 'tiny-fixture', tokensPerSec: 12.5, engineState: 'ready', roles: ['planner', 'researcher'] },
    load: 0.25,
  }) as unknown as PresenceInput

describe('whether a presence changed', () => {
  it('is unchanged for the same data built twice (what a download progress report produces)', () => {
    expect(samePresence(base(), base())).toBe(true)
    const p = base()
    expect(samePresence(p, p)).toBe(true)
  })

  it('changes with any field a peer routes by, top level or in the capabilities', () => {
    const b = base() as unknown as Record<string, unknown> & { caps: Record<string, unknown> }
    const variants: PresenceInput[] = [
      { ...b, state: 'busy' },
      { ...b, load: 0.26 },
      { ...b, visible: false },
      { ...b, caps: { ...b.caps, engineState: 'generating' } },
      { ...b, caps: { ...b.caps, tokensPerSec: 13 } },
      { ...b, caps: { ...b.caps, roles: ['planner'] } },
      { ...b, caps: { ...b.caps, model: undefined } },
    ] as unknown as PresenceInput[]
    for (const v of variants) expect(samePresence(base(), v)).toBe(false)
  })
})
