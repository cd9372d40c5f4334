import { describe, expect, it } from 'vitest'
import { VerifiedStoreError } from '../../src/errors'
import { signEnvelope, type RecordFields, type SignedEnvelope } from '../../src/trust/envelope'
import { fakeSigner } from './fake-crypto'
import { memoryEnvelopeStorage, missingFromDoc, VerifiedStore, type EnvelopeStorage, type StoredEnvelope } from '../../src/trust/verified-store'

const fields = (i: number, room = 'lobby'): RecordFields => ({ room, task: `task-${i}`, attempt: 1, kind: 'result', ts: i, payload: { text: `answer ${i}` } })
const sign = (seed: number, i: number, room = 'lobby'): Promise<SignedEnvelope> => signEnvelope(fakeSigner(seed), fields(i, room))

/** Contract every EnvelopeStorage implementation meets (the IndexedDB one runs it in the browser). */
function storageContract(name: string, make: () => EnvelopeStorage): void {
  describe(`EnvelopeStorage contract: ${name}`, () => {
    it('keeps records per room and overwrites by hash', async () => {
      const s = make()
      const a: StoredEnvelope = { hash: 'h1', room: 'r1', key: fakeSigner(1).keyId, text: 't1', seenAt: 1 }
      await s.put(a)
      await s.put({ ...a, seenAt: 2 })
      await s.put({ ...a, hash: 'h2', room: 'r2' })
      expect(await s.loadRoom('r1')).toEqual([{ ...a, seenAt: 2 }])
      expect((await s.loadRoom('r2')).map((r) => r.hash)).toEqual(['h2'])
      expect(await s.loadRoom('none')).toEqual([])
      s.close()
    })
  })
}
storageContract('memory', memoryEnvelopeStorage)

/** A FAKE storage whose writes fail on demand. */
function failingStorage(error: () => Error | null): EnvelopeStorage & { puts: number } {
  const inner = memoryEnvelopeStorage()
  const s = {
    puts: 0,
    loadRoom: inner.loadRoom,
    close: inner.close,
    async put(r: StoredEnvelope) {
      s.puts++
      const e = error()
      if (e) throw e
      await inner.put(r)
    },
  }
  return s
}

describe('VerifiedStore', () => {
  it('keeps every envelope once and restores it after a reload', async () => {
    const storage = memoryEnvelopeStorage()
    const store = await VerifiedStore.open(storage, 'lobby')
    const a = await sign(1, 1)
    expect(await store.add(a)).toEqual({ status: 'added' })
    expect(await store.add(a)).toEqual({ status: 'known' })
    const again = await VerifiedStore.open(storage, 'lobby')
    expect(again.get(a.hash)?.text).toBe(a.text)
    expect((await VerifiedStore.open(storage, 'other')).hashes().size).toBe(0)
  })

  it('refuses envelopes of another room', async () => {
    const store = await VerifiedStore.open(memoryEnvelopeStorage(), 'lobby')
    const out = await store.add(await sign(1, 1, 'elsewhere'))
    expect(out.status).toBe('write-failed')
  })

  it('bounds what one key can store, without touching other keys', async () => {
    const store = await VerifiedStore.open(memoryEnvelopeStorage(), 'lobby', { quota: { perKeyCount: 3, perKeyChars: 1e9, totalChars: 1e9 } })
    const outs = await Promise.all([1, 2, 3, 4, 5].map(async (i) => (await store.add(await sign(9, i))).status))
    expect(outs.filter((s) => s === 'added')).toHaveLength(3)
    expect(outs.filter((s) => s === 'over-key-quota')).toHaveLength(2)
    expect((await store.add(await sign(1, 1))).status).toBe('added') // an honest key is unaffected
    expect(store.usageOf(fakeSigner(9).keyId).count).toBe(3)
  })

  it('bounds characters per key and in total', async () => {
    const one = await sign(1, 1)
    const perKey = await VerifiedStore.open(memoryEnvelopeStorage(), 'lobby', { quota: { perKeyCount: 100, perKeyChars: one.text.length * 2, totalChars: 1e9 } })
    expect((await perKey.add(one)).status).toBe('added')
    expect((await perKey.add(await sign(1, 2))).status).toBe('added')
    expect((await perKey.add(await sign(1, 3))).status).toBe('over-key-quota')
    const total = await VerifiedStore.open(memoryEnvelopeStorage(), 'lobby', { quota: { perKeyCount: 100, perKeyChars: 1e9, totalChars: one.text.length * 2 } })
    expect((await total.add(await sign(1, 1))).status).toBe('added')
    expect((await total.add(await sign(2, 2))).status).toBe('added')
    const over = await total.add(await sign(3, 3))
    expect(over.status).toBe('over-total-quota')
  })

  it('turns a full disk or a broken storage into a typed outcome and forgets the record', async () => {
    const quotaError = Object.assign(new Error('disk full'), { name: 'QuotaExceededError' })
    let fail: Error | null = quotaError
    const storage = failingStorage(() => fail)
    const store = await VerifiedStore.open(storage, 'lobby')
    const a = await sign(1, 1)
    const out = await store.add(a)
    expect(out.status).toBe('write-failed')
    if (out.status === 'write-failed') {
      expect(out.error).toBeInstanceOf(VerifiedStoreError)
      expect(out.error.code).toBe('QUOTA_EXCEEDED')
    }
    expect(store.has(a.hash)).toBe(false)
    expect(store.usageOf(a.envelope.key).count).toBe(0)
    fail = new Error('InvalidStateError')
    const b = await store.add(a)
    expect(b.status === 'write-failed' && b.error.code).toBe('WRITE_FAILED')
    fail = null
    expect((await store.add(a)).status).toBe('added')
  })

  it('starts empty, with a warning, when the storage cannot be read', async () => {
    const broken: EnvelopeStorage = { loadRoom: async () => Promise.reject(new Error('no IndexedDB')), put: async () => {}, close: () => {} }
    const store = await VerifiedStore.open(broken, 'lobby')
    expect(store.hashes().size).toBe(0)
  })

  it('writes concurrent adds of one envelope once', async () => {
    const storage = failingStorage(() => null)
    const store = await VerifiedStore.open(storage, 'lobby')
    const a = await sign(1, 1)
    const outs = await Promise.all([store.add(a), store.add(a), store.add(a)])
    expect(storage.puts).toBe(1)
    expect(outs.map((o) => o.status)).toEqual(['added', 'added', 'added'])
  })
})

describe('missingFromDoc', () => {
  it('lists what the store holds and the doc lost, sorted', () => {
    expect(missingFromDoc(['c', 'a', 'b'], new Set(['b']))).toEqual(['a', 'c'])
    expect(missingFromDoc([], new Set(['x']))).toEqual([])
    expect(missingFromDoc(new Set(['a']), new Set(['a']))).toEqual([])
  })
})
