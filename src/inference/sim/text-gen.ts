/**
 * Deterministic text for the SIMULATED engine. Output is visibly fake
 * ("[simulated] …") yet derived from the prompt, so a person watching the swarm
 * can tell which task a simulated reply belongs to.
 */
import { seededRandom, type Random } from '../../clock'
import type { ChatMessage } from '../types'

export const SIM_PREFIX = '[simulated] '

const STOPWORDS = new Set(
  'about above after again also among because been before being between both could does doing down during each from further have having here into itself just more most once only other over same should some such than that their them then there these they this those through under until very what when where which while will with would your yours please write give make tell using json reply answer return'.split(
    ' ',
  ),
)

const FILLER = [
  'the swarm would consider',
  'a careful answer covers',
  'one useful angle is',
  'evidence suggests looking at',
  'a short summary mentions',
  'the next step examines',
  'this simulated node notes',
]

/** FNV-1a: a stable 32-bit hash so the same prompt picks the same words on every node. */
export function hashString(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** Up to `max` distinct content words of the last user message, in order of appearance. */
export function keywords(messages: readonly ChatMessage[], max = 6): string[] {
  const last = [...messages].reverse().find((m) => m.role === 'user') ?? messages[messages.length - 1]
  const words = (last?.content ?? '').toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? []
  const out: string[] = []
  for (const w of words) {
    if (w.length < 4 || STOPWORDS.has(w) || out.includes(w)) continue
    out.push(w)
    if (out.length === max) break
  }
  return out
}

/** One generator per (seed, request): identical requests replay identically on any node. */
export function requestRandom(seed: number, messages: readonly ChatMessage[], schema?: object): Random {
  return seededRandom(seed ^ hashString(JSON.stringify([messages, schema ?? null])))
}

/**
 * A labelled reply about the prompt's key words. With `targetTokens`, it is
 * exactly that many tokens long (see `tokenize`); otherwise 3–5 sentences.
 */
export function simulatedText(messages: readonly ChatMessage[], random: Random, model: string, targetTokens?: number): string {
  const keys = keywords(messages)
  const topic = keys.length > 0 ? keys.join(', ') : 'your request'
  const sentences = [`${SIM_PREFIX}Simulated reply from ${model} (no real model ran) about: ${topic}.`]
  const sentence = (): string => {
    const filler = FILLER[Math.floor(random.next() * FILLER.length)] ?? FILLER[0]
    const key = keys.length > 0 ? keys[Math.floor(random.next() * keys.length)] : 'the question'
    const s = `${filler} ${key}.`
    return s.charAt(0).toUpperCase() + s.slice(1)
  }
  if (targetTokens === undefined) {
    const count = 2 + Math.floor(random.next() * 3)
    for (let i = 0; i < count; i++) sentences.push(sentence())
    return sentences.join(' ')
  }
  let tokens = tokenize(sentences[0]!).length
  while (tokens < targetTokens) {
    const next = sentence()
    sentences.push(next)
    tokens += tokenize(` ${next}`).length
  }
  return tokenize(sentences.join(' ')).slice(0, Math.max(1, targetTokens)).join('')
}

/**
 * Splits text into token-sized pieces (leading whitespace + up to 4 more
 * characters) whose concatenation is exactly the input.
 */
export function tokenize(text: string): string[] {
  const out: string[] = []
  let i = 0
  while (i < text.length) {
    let j = i
    while (j < text.length && /\s/.test(text.charAt(j))) j++
    const end = Math.min(text.length, j + 4)
    out.push(text.slice(i, Math.max(end, i + 1)))
    i = Math.max(end, i + 1)
  }
  return out
}

/** Rough prompt size for usage stats: ~4 characters per token, like most BPE vocabularies. */
export function approxTokenCount(messages: readonly ChatMessage[]): number {
  return Math.ceil(messages.reduce((n, m) => n + m.content.length + 4, 0) / 4)
}
