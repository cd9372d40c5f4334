/**
 * The pure pieces of constrained decoding (workers/json-grammar.ts,
 * workers/grammar-logits-processor.ts): the vocabulary table xgrammar gets,
 * the cache key, and how a bitmask edits the logits.
 */
import { describe, expect, it } from 'vitest'
import { applyBitmask } from '../../workers/grammar-logits-processor'
import { buildVocabTable, canonicalJson, vocabTypeOf } from '../../workers/json-grammar'

const mask = (vocab: number, allowed: readonly number[]): Int32Array => {
  const m = new Int32Array(Math.ceil(vocab / 32))
  for (const id of allowed) m[id >> 5]! |= 1 << (id & 31)
  return m
}

describe('applyBitmask', () => {
  it('keeps allowed logits, sets the rest to -Infinity, across whole words, empty words and mixed ones', () => {
    const vocab = 100
    const allowed = [...Array.from({ length: 32 }, (_, i) => 32 + i), 3, 70, 99]
    const logits = Float32Array.from({ length: vocab }, (_, i) => i / 10)
    expect(applyBitmask(logits, mask(vocab, allowed), vocab)).toBe(true)
    for (let i = 0; i < vocab; i++) expect(logits[i], `id ${i}`).toBe(allowed.includes(i) ? Math.fround(i / 10) : -Infinity)
  })

  it('masks logits wider than the vocabulary (padded models) and wider than the mask', () => {
    const logits = new Float32Array(80).fill(1)
    expect(applyBitmask(logits, mask(40, [0, 39]), 40)).toBe(true)
    expect([...logits.keys()].filter((i) => logits[i] === 1)).toEqual([0, 39])
  })

  it('reports a dead end when every allowed token was already banned by an earlier processor', () => {
    const logits = new Float32Array(64).fill(2)
    logits[5] = -Infinity
    logits[40] = -Infinity
    expect(applyBitmask(logits, mask(64, [5, 40]), 64)).toBe(false)
    expect(applyBitmask(new Float32Array(64).fill(0), new Int32Array(2), 64)).toBe(false)
    const all = new Float32Array(64).fill(-Infinity)
    expect(applyBitmask(all, Int32Array.of(-1, -1), 64)).toBe(false)
    all[63] = 0
    expect(applyBitmask(all, Int32Array.of(-1, -1), 64)).toBe(true)
  })
})

describe('buildVocabTable', () => {
  const bpe = {
    model: { vocab: { '<|endoftext|>': 0, '<|im_start|>': 1, '<|im_end|>': 2, a: 3, 'Ġb': 4, '"': 5 } },
    added_tokens: [{ id: 0, content: '<|endoftext|>' }, { id: 1, content: '<|im_start|>' }, { id: 2, content: '<|im_end|>' }, { id: 7, content: '<tool>' }],
    decoder: { type: 'ByteLevel' },
  }

  it('blanks every added token (xgrammar treats only empty strings as special), pads to the logits width', () => {
    const t = buildVocabTable(bpe, 10)
    expect(t.vocab).toEqual(['', '', '', 'a', 'Ġb', '"', '', '', '', ''])
    expect(t).toMatchObject({ vocabType: 'byte_level', prependSpace: false, blanked: 7 })
  })

  it('covers every id even when the tokenizer has more ids than config.vocab_size says', () => {
    expect(buildVocabTable(bpe, 4).vocab).toHaveLength(8)
  })

  it('reads SentencePiece (Unigram) vocabularies by position and detects byte_fallback with a prepended space', () => {
    const sp = { model: { vocab: [['<unk>', 0], ['▁hi', -1], ['<0x41>', -2]] }, added_tokens: [{ id: 0, content: '<unk>' }], decoder: { type: 'Sequence', decoders: [{ type: 'Replace' }, { type: 'ByteFallback' }, { type: 'Fuse' }] }, pre_tokenizer: { type: 'Metaspace' } }
    expect(buildVocabTable(sp, 3)).toMatchObject({ vocab: ['', '▁hi', '<0x41>'], vocabType: 'byte_fallback', prependSpace: true })
    expect(vocabTypeOf({ decoder: { type: 'WordPiece' } })).toBe('raw')
  })

  it('refuses a tokenizer without a vocabulary with a named error', () => {
    expect(() => buildVocabTable({ model: {} }, 10)).toThrowError(expect.objectContaining({ code: 'INTERNAL' }) as Error)
  })
})

describe('canonicalJson (the compile cache key)', () => {
  it('is the same for the same schema whatever the key order, and differs when anything differs', () => {
    const a = { type: 'object', properties: { x: { type: 'string', maxLength: 5 }, y: { enum: [1, 2] } }, required: ['x'] }
    const b = { required: ['x'], properties: { x: { maxLength: 5, type: 'string' }, y: { enum: [1, 2] } }, type: 'object' }
    expect(canonicalJson(a)).toBe(canonicalJson(b))
    expect(canonicalJson(a)).not.toBe(canonicalJson({ ...b, required: ['y'] }))
    expect(canonicalJson({ enum: [2, 1] })).not.toBe(canonicalJson({ enum: [1, 2] }))
  })

  it('keeps the order of "properties" (the order the model writes the fields in) and sorts inside each property', () => {
    const text = canonicalJson({ type: 'object', properties: { title: { type: 'string', maxLength: 9 }, instructions: { type: 'string' } } })
    expect(text).toBe('{"properties":{"title":{"maxLength":9,"type":"string"},"instructions":{"type":"string"}},"type":"object"}')
    expect(canonicalJson({ properties: { b: {}, a: {} } })).not.toBe(canonicalJson({ properties: { a: {}, b: {} } }))
    // A property *named* "properties" is a schema again, sorted like any other.
    expect(canonicalJson({ properties: { properties: { type: 'string', enum: ['x'] } } })).toBe('{"properties":{"properties":{"enum":["x"],"type":"string"}}}')
  })

  it('rejects what is not JSON with BAD_REQUEST', () => {
    const cyclic: Record<string, unknown> = { type: 'object' }
    cyclic.self = cyclic
    for (const bad of [cyclic, { maximum: Infinity }, { x: () => 1 }, { n: 1n }]) {
      expect(() => canonicalJson(bad)).toThrowError(expect.objectContaining({ code: 'BAD_REQUEST' }) as Error)
    }
  })
})
