/** The trust parts of the UI, as pure data: signer labels and the swarm panel's rejected writers. */
import { describe, expect, it } from 'vitest'
import type { PeerRejectionView } from '../../src/mesh/mesh-adapter'
import type { NodeId } from '../../src/mesh/protocol'
import { computeReputation } from '../../src/scheduler/reputation'
import { MAX_ENTRIES, rejectionEntries, UNKNOWN_WRITER, type BoardRejection, type RejectionInput } from '../../src/ui/rejection-rows'
import { fingerprint, signerParts } from '../../src/ui/signer'

const HONEST = 'abcdefghijklmnopqrstuvwxyz' as NodeId
const GHOST = 'zyxwvutsrqponmlkjihgfedcba' as NodeId
const SELF = 'selfselfselfselfselfselfse' as NodeId

const transport = (p: Partial<PeerRejectionView> & { source: string }): PeerRejectionView => ({
  node: null,
  name: null,
  total: 0,
  byReason: {},
  lastDetail: '',
  lastAt: 0,
  distrustedUntil: null,
  ...p,
})
const input = (p: Partial<RejectionInput>): RejectionInput => ({ board: [], transport: [], distrusted: new Map(), names: new Map(), now: 1000, ...p })

describe('signerParts', () => {
  it('names the signer, its 8-character key fingerprint and its trust', () => {
    expect(fingerprint(HONEST)).toBe('abcdefgh')
    expect(signerParts('amber-otter', HONEST, computeReputation([]))).toEqual({ name: 'amber-otter', fingerprint: 'abcdefgh', trust: 'trust 0.90', lowTrust: false, distrusted: null })
    expect(signerParts('amber-otter', HONEST).trust, 'no reputation given: no trust shown').toBeNull()
  })

  it('marks a distrusted signer, and bounds a hostile name', () => {
    const p = signerParts('x'.repeat(500), GHOST, computeReputation([], new Map([[GHOST, 'two claims for attempt 1']])))
    expect(p).toMatchObject({ trust: 'trust 0.00', lowTrust: true, distrusted: 'two claims for attempt 1' })
    expect(p.name.length).toBe(80)
    expect(signerParts(undefined, GHOST).name).toBe('unnamed')
    expect(signerParts('   ', GHOST).name).toBe('unnamed')
  })
})

describe('rejectionEntries', () => {
  it('is empty when nothing was rejected', () => {
    expect(rejectionEntries(input({}))).toEqual({ entries: [], more: 0 })
  })

  it('merges board and transport rejections of one key, naming it from presence', () => {
    const board: BoardRejection[] = [{ writer: HONEST, reasons: { 'bad-signature': 2, 'not-authorized': 1 } }]
    const t = [transport({ source: 'peer-1', node: HONEST, name: 'amber', byReason: { 'too-large': 4 }, lastDetail: '300 KB > 256 KB' })]
    const { entries } = rejectionEntries(input({ board, transport: t, names: new Map([[HONEST, 'amber-otter']]) }))
    expect(entries).toEqual([
      {
        id: HONEST,
        node: HONEST,
        label: 'amber-otter',
        known: true,
        identifiedBy: 'key abcdefgh',
        total: 7,
        reasons: [
          { reason: 'too-large', count: 4, layer: 'transport' },
          { reason: 'bad-signature', count: 2, layer: 'record' },
          { reason: 'not-authorized', count: 1, layer: 'record' },
        ],
        distrusted: null,
        cutOff: false,
        lastDetail: '300 KB > 256 KB',
      },
    ])
  })

  it('lists a writer without presence as unknown, with its client id, key fingerprint or mesh peer id', () => {
    const board: BoardRejection[] = [
      { writer: 'client:314159', reasons: { 'not-envelope': 9 } },
      { writer: GHOST, reasons: { 'bad-signature': 1 } },
    ]
    const t = [transport({ source: 'f00dfeedcafe-1234', byReason: { 'message-rate': 3 }, distrustedUntil: 5000 })]
    const { entries } = rejectionEntries(input({ board, transport: t }))
    expect(entries.map((e) => [e.id, e.label, e.known, e.identifiedBy, e.total, e.cutOff])).toEqual([
      ['client:314159', UNKNOWN_WRITER, false, 'client 314159', 9, false],
      ['mesh:f00dfeedcafe-1234', UNKNOWN_WRITER, false, 'mesh peer f00dfeedcafe', 3, true],
      [GHOST, UNKNOWN_WRITER, false, 'key zyxwvuts', 1, false],
    ])
  })

  it('lists distrusted keys first, with the evidence, even when nothing of theirs was rejected', () => {
    const board: BoardRejection[] = [{ writer: HONEST, reasons: { 'bad-signature': 50 } }]
    const { entries } = rejectionEntries(input({ board, distrusted: new Map([[GHOST, 'equivocated: two results for attempt 1']]) }))
    expect(entries.map((e) => [e.id, e.distrusted, e.total])).toEqual([
      [GHOST, 'equivocated: two results for attempt 1', 0],
      [HONEST, null, 50],
    ])
  })

  it('names this tab from the names it is given', () => {
    const { entries } = rejectionEntries(input({ board: [{ writer: SELF, reasons: { stale: 1 } }], names: new Map([[SELF, 'me (this tab)']]) }))
    expect(entries[0]).toMatchObject({ label: 'me (this tab)', known: true })
  })

  it('a cut-off that has expired is not shown as cut off', () => {
    const { entries } = rejectionEntries(input({ transport: [transport({ source: 'p', byReason: { 'message-rate': 1 }, distrustedUntil: 999 })] }))
    expect(entries[0]!.cutOff).toBe(false)
  })

  it('survives hostile input: odd counts, a "__proto__" reason, huge reason and writer strings', () => {
    const reasons = JSON.parse('{"__proto__": 2, "ok": 1, "neg": -5, "nan": null, "frac": 2.7}') as Record<string, number>
    const board: BoardRejection[] = [
      { writer: 'client:' + '9'.repeat(500), reasons },
      { writer: '', reasons: { x: 1 } },
      { writer: HONEST, reasons: { ['r'.repeat(1000)]: 1 } },
    ]
    const { entries } = rejectionEntries(input({ board }))
    expect(entries).toHaveLength(2)
    const client = entries.find((e) => !e.node)!
    expect(client.reasons.map((r) => [r.reason, r.count])).toEqual([
      ['__proto__', 2],
      ['frac', 2],
      ['ok', 1],
    ])
    expect(client.identifiedBy.length).toBeLessThanOrEqual(90)
    expect(entries.find((e) => e.node === HONEST)!.reasons[0]!.reason.length).toBe(80)
  })

  it('keeps at most 8 reasons per writer (the rest summed) and MAX_ENTRIES writers, most rejected first', () => {
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`r${String(i).padStart(2, '0')}`, 12 - i]))
    const board: BoardRejection[] = [
      { writer: HONEST, reasons: many },
      ...Array.from({ length: MAX_ENTRIES + 5 }, (_, i) => ({ writer: `client:${i}`, reasons: { junk: 1 } })),
    ]
    const { entries, more } = rejectionEntries(input({ board }))
    expect(entries).toHaveLength(MAX_ENTRIES)
    expect(more).toBe(6)
    const top = entries[0]!
    expect(top.id).toBe(HONEST)
    expect(top.total).toBe(78)
    expect(top.reasons).toHaveLength(9)
    expect(top.reasons[8]).toEqual({ reason: 'other reasons', count: 4 + 3 + 2 + 1, layer: 'record' })
  })

  it('orders entries the same whatever order the rows came in', () => {
    const board: BoardRejection[] = [
      { writer: 'client:2', reasons: { a: 1 } },
      { writer: GHOST, reasons: { a: 1 } },
      { writer: HONEST, reasons: { a: 1 } },
    ]
    const a = rejectionEntries(input({ board }))
    const b = rejectionEntries(input({ board: [...board].reverse() }))
    expect(b).toEqual(a)
  })
})
