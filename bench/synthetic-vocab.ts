/**
 * A synthetic byte-level BPE vocabulary of real-model size (150k entries, like
 * Qwen2.5's 151k), for measuring grammar compile time and per-token cost
 * without downloading a model. Built like GPT-2-style vocabularies look: the
 * 256 byte symbols first, then word pieces in the byte-level alphabet (a
 * leading space is 'Ġ', a newline 'Ċ'), mostly lower-case letters, some
 * capitalised, digits, punctuation runs and JSON-ish fragments ('":', '",',
 * '{"'), seeded so every run compiles against the same table.
 */
import { Prng } from '../scripts/tiny-model/prng'

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards. */
export function byteLevelAlphabet(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255)
  const out: string[] = []
  let next = 256
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(printable(b) ? b : next++))
  return out
}

export const SYNTHETIC_SPECIAL = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const

/** `size` token strings by id: specials at 0..2 (stop ids 0 and 2), the byte alphabet, then unique pieces. */
export function syntheticByteLevelVocab(size = 150_000, seed = 7): { vocab: string[]; specialIds: number[]; stopIds: number[] } {
  const prng = new Prng(seed)
  const rand = () => prng.next()
  const pick = (s: string) => s[Math.floor(rand() * s.length)]!
  const letters = 'etaoinshrdlcumwfgypbvkjxqz'
  const seen = new Set<string>()
  const vocab: string[] = [...SYNTHETIC_SPECIAL]
  for (const c of byteLevelAlphabet()) if (!seen.has(c)) (seen.add(c), vocab.push(c))
  const fragments = ['":', '",', '{"', '"}', '":"', '","', '":[', '],', '"]', '\\n', '\\"', '..', '--', '==', '()', '[]', '{}', '::', ';', '!']
  while (vocab.length < size) {
    const r = rand()
    let piece: string
    if (r < 0.04) piece = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick('0123456789')).join('')
    else if (r < 0.07) piece = pick('ĠĊ') + fragments[Math.floor(rand() * fragments.length)]!
    else if (r < 0.09) piece = fragments[Math.floor(rand() * fragments.length)]! + pick(letters)
    else {
      const len = 1 + Math.floor(rand() * rand() * 11)
      let word = ''
      for (let i = 0; i < len; i++) word += pick(i === 0 || rand() < 0.5 ? letters.slice(0, 12) : letters)
      if (rand() < 0.12) word = word[0]!.toUpperCase() + word.slice(1)
      piece = (rand() < 0.55 ? 'Ġ' : '') + word
    }
    if (!seen.has(piece)) (seen.add(piece), vocab.push(piece))
  }
  return { vocab, specialIds: [0, 1, 2], stopIds: [2, 0] }
}
