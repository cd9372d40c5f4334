/**
 * A byte-level BPE tokenizer (GPT-2 style), trained on the bundled corpus and
 * written as a `tokenizer.json` that @huggingface/tokenizers (inside
 * transformers.js) loads. Byte-level means any prompt — JSON, non-Latin text,
 * emoji — encodes without an unknown token, which matters because the swarm's
 * role prompts are arbitrary text.
 *
 * The encoder here exists only to turn the training corpus into ids; a unit
 * test checks it agrees with transformers.js on that corpus.
 */

/** Special tokens, ids 0..2, in the ChatML convention. */
export const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const

/** GPT-2's split, identical to @huggingface/tokenizers' ByteLevel pre-tokenizer. */
const SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu

/** GPT-2's reversible byte → printable character map. */
function bytesToUnicode(): string[] {
  const direct: number[] = []
  for (let b = 0x21; b <= 0x7e; b++) direct.push(b)
  for (let b = 0xa1; b <= 0xac; b++) direct.push(b)
  for (let b = 0xae; b <= 0xff; b++) direct.push(b)
  const map: string[] = new Array<string>(256)
  let extra = 0
  for (let b = 0; b < 256; b++) {
    map[b] = String.fromCharCode(direct.includes(b) ? b : 256 + extra++)
  }
  return map
}
const BYTE_CHARS = bytesToUnicode()

/** Pre-tokenize into byte-level "words" (each a list of single-byte symbols). */
export function preTokenize(text: string): string[][] {
  const enc = new TextEncoder()
  return (text.match(SPLIT) ?? []).map((piece) => Array.from(enc.encode(piece), (b) => BYTE_CHARS[b]!))
}

export interface Bpe {
  vocab: string[] // id → token
  merges: [string, string][] // rank order
}

/**
 * Learns up to `targetVocab - 259` merges, most frequent pair first; ties go to
 * the lexicographically smallest pair so training is deterministic. Stops early
 * when no pair occurs twice.
 */
export function trainBpe(texts: readonly string[], targetVocab: number): Bpe {
  const wordCounts = new Map<string, number>()
  for (const t of texts) for (const w of preTokenize(t)) wordCounts.set(w.join('\u0000'), (wordCounts.get(w.join('\u0000')) ?? 0) + 1)
  const words = [...wordCounts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([w, n]) => ({ syms: w.split('\u0000'), n }))
  const vocab: string[] = [...SPECIALS, ...BYTE_CHARS]
  const merges: [string, string][] = []
  while (vocab.length < targetVocab) {
    const pairs = new Map<string, number>()
    for (const { syms, n } of words) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const key = `${syms[i]}\u0000${syms[i + 1]}`
        pairs.set(key, (pairs.get(key) ?? 0) + n)
      }
    }
    let best: string | null = null
    let bestCount = 1
    for (const [key, count] of pairs) {
      if (count > bestCount || (count === bestCount && best !== null && key < best)) {
        best = key
        bestCount = count
      }
    }
    if (best === null) break
    const [a, b] = best.split('\u0000') as [string, string]
    merges.push([a, b])
    // Different pairs can spell the same token ("t"+"he", "th"+"e"): one id.
    if (!vocab.includes(a + b)) vocab.push(a + b)
    for (const w of words) w.syms = mergeAll(w.syms, a, b)
  }
  return { vocab, merges }
}

function mergeAll(syms: string[], a: string, b: string): string[] {
  const out: string[] = []
  for (let i = 0; i < syms.length; i++) {
    if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
      out.push(a + b)
      i++
    } else out.push(syms[i]!)
  }
  return out
}

/** Encodes text (special tokens matched literally first), lowest-rank merge first. */
export function encode(bpe: Bpe, text: string): number[] {
  const ids = new Map(bpe.vocab.map((t, i) => [t, i]))
  const ranks = new Map(bpe.merges.map(([a, b], i) => [`${a}\u0000${b}`, i]))
  const out: number[] = []
  const specialSplit = new RegExp(`(${SPECIALS.map((s) => s.replace(/[|]/g, '\\|')).join('|')})`)
  for (const part of text.split(specialSplit)) {
    if (part === '') continue
    const special = (SPECIALS as readonly string[]).indexOf(part)
    if (special >= 0) {
      out.push(special)
      continue
    }
    for (let syms of preTokenize(part)) {
      for (;;) {
        let bestRank = Infinity
        let bestAt = -1
        for (let i = 0; i + 1 < syms.length; i++) {
          const r = ranks.get(`${syms[i]}\u0000${syms[i + 1]}`)
          if (r !== undefined && r < bestRank) {
            bestRank = r
            bestAt = i
          }
        }
        if (bestAt < 0) break
        syms = mergeAll(syms, syms[bestAt]!, syms[bestAt + 1]!)
      }
      for (const s of syms) out.push(ids.get(s)!)
    }
  }
  return out
}

/** `tokenizer.json` in the Hugging Face tokenizers format. */
export function tokenizerJson(bpe: Bpe): object {
  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...byteLevel },
    post_processor: { type: 'ByteLevel', ...byteLevel },
    decoder: { type: 'ByteLevel', ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(bpe.vocab.map((t, i) => [t, i])),
      merges: bpe.merges,
    },
  }
}
