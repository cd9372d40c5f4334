import { describe, expect, it } from 'vitest'
import { MIN_SCALE, fitTransform, structureKey } from '../../src/ui/graph-fit'

const inside = (content: { width: number; height: number }, vp: { width: number; height: number }, pad = 12) => {
  const t = fitTransform(content, vp, pad)
  return { t, left: t.x, top: t.y, right: t.x + content.width * t.k, bottom: t.y + content.height * t.k }
}

describe('fitTransform', () => {
  it('scales a wide graph down so it fits, centred, with the padding kept', () => {
    const { t, left, right, top, bottom } = inside({ width: 2000, height: 400 }, { width: 800, height: 500 })
    expect(t.k).toBeCloseTo(776 / 2000)
    expect(left).toBeCloseTo(12)
    expect(right).toBeCloseTo(788)
    expect(top).toBeGreaterThanOrEqual(12)
    expect(bottom).toBeLessThanOrEqual(488)
    expect(top + bottom).toBeCloseTo(500) // centred vertically
  })

  it('a tall graph is limited by height', () => {
    const { t, top, bottom } = inside({ width: 300, height: 3000 }, { width: 800, height: 500 })
    expect(t.k).toBeCloseTo(476 / 3000)
    expect(top).toBeCloseTo(12)
    expect(bottom).toBeCloseTo(488)
  })

  it('never magnifies a small graph, only centres it', () => {
    const t = fitTransform({ width: 210, height: 78 }, { width: 800, height: 500 })
    expect(t).toEqual({ k: 1, x: 295, y: 211 })
  })

  it('caps the scale at MIN_SCALE for absurd graphs', () => {
    expect(fitTransform({ width: 1e7, height: 10 }, { width: 800, height: 500 }).k).toBe(MIN_SCALE)
  })

  it('hidden or empty panels give the identity instead of NaN or Infinity', () => {
    expect(fitTransform({ width: 500, height: 500 }, { width: 0, height: 0 })).toEqual({ k: 1, x: 0, y: 0 })
    expect(fitTransform({ width: 0, height: 0 }, { width: 800, height: 500 })).toEqual({ k: 1, x: 0, y: 0 })
    expect(fitTransform({ width: 100, height: 100 }, { width: 20, height: 20 })).toEqual({ k: 1, x: 0, y: 0 })
  })
})

describe('structureKey', () => {
  it('ignores order, and changes with a node, an edge or the root', () => {
    const k = structureKey('r', ['a', 'b'], [['a', 'b']])
    expect(structureKey('r', ['b', 'a'], [['a', 'b']])).toBe(k)
    expect(structureKey('r', ['a', 'b', 'c'], [['a', 'b']])).not.toBe(k)
    expect(structureKey('r', ['a', 'b'], [['b', 'a']])).not.toBe(k)
    expect(structureKey('s', ['a', 'b'], [['a', 'b']])).not.toBe(k)
  })
})
