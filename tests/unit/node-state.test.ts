import { describe, expect, it } from 'vitest'
import { nodeStateOf } from '../../src/mesh/node-state'

describe('the state a tab advertises', () => {
  const engineStates = ['no-webgpu', 'idle', 'downloading', 'loading', 'ready', 'generating', 'error']

  it('is paused whenever donation is paused, whatever else holds', () => {
    for (const engineState of engineStates) for (const slotFree of [true, false]) expect(nodeStateOf({ paused: true, slotFree, engineState })).toBe('paused')
  })

  it('is busy while a role runs here, whatever the engine says', () => {
    for (const engineState of engineStates) expect(nodeStateOf({ paused: false, slotFree: false, engineState })).toBe('busy')
  })

  it('is busy, not joining, while the engine generates for the try box (slot free)', () => {
    expect(nodeStateOf({ paused: false, slotFree: true, engineState: 'generating' })).toBe('busy')
  })

  it('is ready only with a free slot and a ready engine, and joining while the engine cannot work yet', () => {
    expect(nodeStateOf({ paused: false, slotFree: true, engineState: 'ready' })).toBe('ready')
    for (const engineState of ['no-webgpu', 'idle', 'downloading', 'loading', 'error', 'something-new'])
      expect(nodeStateOf({ paused: false, slotFree: true, engineState })).toBe('joining')
  })
})
