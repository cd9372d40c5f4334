import { describe, expect, it } from 'vitest'
import { describeStorageError, retryDelayMs } from '../../src/board/storage-retry'

describe('storage retry policy', () => {
  it('doubles from the base and stops at the cap', () => {
    const policy = { baseMs: 1_000, maxMs: 10_000 }
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, policy))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000])
    expect(retryDelayMs(0, policy)).toBe(1_000)
    expect(retryDelayMs(10_000, policy)).toBe(10_000)
    expect(retryDelayMs(Number.NaN, policy)).toBe(1_000)
  })

  it('names quota exhaustion plainly and says the tab keeps working', () => {
    const quota = Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' })
    const msg = describeStorageError(quota, 4_000)
    expect(msg).toMatch(/storage is full/)
    expect(msg).toMatch(/keeps working from memory/)
    expect(msg).toMatch(/Retrying in 4 s/)
  })

  it('reports other write errors with their name and message', () => {
    const msg = describeStorageError(Object.assign(new Error('disk I/O failed'), { name: 'UnknownError' }), 2_000)
    expect(msg).toContain('UnknownError: disk I/O failed')
    expect(describeStorageError('weird', 2_000)).toContain('Error: weird')
  })
})
