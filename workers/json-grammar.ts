/**
 * JSON-schema grammars for transformers.js, on @mlc-ai/web-xgrammar: the
 * tokenizer's vocabulary as xgrammar wants it, and one compiled grammar per
 * (model, schema), cached, because compiling costs from milliseconds (the
 * fixture) to seconds (a 150k vocabulary with bounded strings), while a
 * repeat costs nothing. The per-token work is in grammar-logits-processor.ts.
 *
 * xgrammar is loaded with a dynamic import on the first request that has a
 * `jsonSchema` (about 1.1 MB with its wasm inlined), so only worker chunks of
 * tabs that run transformers.js and ask for JSON ever fetch it. web-llm
 * bundles its own copy internally; it does not re-export it.
 *
 * Facts this relies on (checked in node_modules, see
 * shared/notes/constrained-decoding.md):
 * - xgrammar treats a token as special (never allowed by a grammar) only if
 *   its vocabulary string is empty, so every added token gets ''. Stop tokens
 *   are passed by id and allowed only once the JSON is complete.
 * - Byte-level BPE vocabularies (decoder `ByteLevel`: SmolLM2, Qwen2.5, the
 *   fixture) are `byte_level`; SentencePiece ones (`ByteFallback`) are
 *   `byte_fallback`.
 * - Compact whitespace (anyWhitespace=false, separators ',' and ':'): with
 *   free whitespace a weak model spends its whole budget on newlines.
 */
import type * as XGrammarModule from '@mlc-ai/web-xgrammar'
import { InferenceError } from '../src/errors'
import { createLogger } from '../src/log'

const log = createLogger('inference')

export type XGrammar = Pick<typeof XGrammarModule, 'TokenizerInfo' | 'GrammarCompiler' | 'GrammarMatcher'>
export type CompiledGrammar = XGrammarModule.CompiledGrammar
export type GrammarMatcher = XGrammarModule.GrammarMatcher
export type VocabType = 'byte_level' | 'byte_fallback' | 'raw'

let loading: Promise<XGrammar> | null = null

/** The library, on first use. Vite bundles the package's UMD file as CommonJS: the API is on the namespace or on `default`. */
export function loadXGrammar(): Promise<XGrammar> {
  loading ??= import('@mlc-ai/web-xgrammar').then((mod) => {
    const api = [mod, (mod as { default?: unknown }).default].find((m): m is XGrammar => typeof (m as Partial<XGrammar> | undefined)?.GrammarCompiler?.createGrammarCompiler === 'function')
    if (!api) throw new InferenceError('INTERNAL', 'The constrained-decoding library (@mlc-ai/web-xgrammar) loaded without its API; reload the page.')
    return api
  })
  loading.catch(() => {
    loading = null // a failed chunk download may succeed next time
  })
  return loading
}

/** The parts of a `tokenizer.json` that decide the vocabulary table. */
export interface TokenizerJson {
  readonly model?: { readonly vocab?: unknown }
  readonly added_tokens?: readonly { readonly id: number; readonly content?: string }[]
  readonly decoder?: unknown
  readonly pre_tokenizer?: unknown
  readonly normalizer?: unknown
}

export interface VocabTable {
  /** Token strings by id, in the tokenizer's own encoding; '' = never produced by the grammar. */
  readonly vocab: readonly string[]
  readonly vocabType: VocabType
  readonly prependSpace: boolean
  /** Ids the grammar must never allow (added tokens and holes in the id range). */
  readonly blanked: number
}

function typesIn(node: unknown): string[] {
  if (node === null || typeof node !== 'object') return []
  const n = node as { type?: unknown; decoders?: unknown; pretokenizers?: unknown; normalizers?: unknown }
  const children = [n.decoders, n.pretokenizers, n.normalizers].flatMap((c) => (Array.isArray(c) ? c : []))
  return [...(typeof n.type === 'string' ? [n.type] : []), ...children.flatMap(typesIn)]
}

export function vocabTypeOf(json: TokenizerJson): VocabType {
  const decoders = typesIn(json.decoder)
  if (decoders.includes('ByteLevel')) return 'byte_level'
  if (decoders.includes('ByteFallback')) return 'byte_fallback'
  return 'raw'
}

/**
 * Builds the table xgrammar compiles against. `logitsWidth` is the model's
 * output size (config.vocab_size), which may exceed the tokenizer's ids when
 * the vocabulary is padded: the padding ids stay '' like added tokens. Pure.
 */
export function buildVocabTable(json: TokenizerJson, logitsWidth: number): VocabTable {
  const raw = json.model?.vocab
  const entries: [string, number][] = Array.isArray(raw)
    ? raw.map((e, i): [string, number] => [Array.isArray(e) ? String(e[0]) : String(e), i]) // Unigram: [piece, score] by id
    : raw !== null && typeof raw === 'object'
      ? Object.entries(raw as Record<string, unknown>).filter((e): e is [string, number] => Number.isInteger(e[1]) && (e[1] as number) >= 0)
      : []
  if (entries.length === 0) throw new InferenceError('INTERNAL', 'This model’s tokenizer.json has no vocabulary that constrained decoding can read.')
  const added = (json.added_tokens ?? []).filter((t) => Number.isInteger(t.id) && t.id >= 0)
  const size = Math.max(logitsWidth, ...entries.map((e) => e[1] + 1), ...added.map((t) => t.id + 1))
  const vocab = new Array<string>(size).fill('')
  for (const [token, id] of entries) vocab[id] = token
  // Added tokens (<|im_start|>, <|endoftext|>, tool tags…) are spelled in plain text, not in the byte-level alphabet,
  // and must never appear inside a JSON string: '' makes xgrammar treat them as special.
  for (const t of added) vocab[t.id] = ''
  const prependSpace = vocabTypeOf(json) === 'byte_fallback' && [...typesIn(json.pre_tokenizer), ...typesIn(json.normalizer)].some((t) => t === 'Metaspace' || t === 'Prepend')
  return { vocab, vocabType: vocabTypeOf(json), prependSpace, blanked: vocab.filter((s) => s === '').length }
}

/**
 * JSON with object keys sorted, so equal schemas give equal cache keys
 * whatever their key order, except under `properties`, whose order is the
 * order xgrammar makes the model write the fields in (title before
 * instructions): two orders there are two different grammars.
 */
export function canonicalJson(value: unknown): string {
  const seen = new Set<object>()
  const walk = (v: unknown, keepOrder: boolean): unknown => {
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new InferenceError('BAD_REQUEST', 'The JSON schema contains a number that JSON cannot represent.')
      if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol') throw new InferenceError('BAD_REQUEST', `The JSON schema contains a ${typeof v}, which is not JSON.`)
      return v
    }
    if (seen.has(v)) throw new InferenceError('BAD_REQUEST', 'The JSON schema refers to itself (a cycle); use "$ref" instead.')
    seen.add(v)
    let out: unknown
    if (Array.isArray(v)) out = v.map((x) => walk(x, false))
    else {
      const keys = keepOrder ? Object.keys(v) : Object.keys(v).sort()
      out = Object.fromEntries(keys.map((k) => [k, walk((v as Record<string, unknown>)[k], !keepOrder && k === 'properties')]))
    }
    seen.delete(v)
    return out
  }
  return JSON.stringify(walk(value, false))
}

/** Schemas larger than this are refused: they come from our roles, and a huge one would block the worker while compiling. */
export const MAX_SCHEMA_CHARS = 64 * 1024
/** Compiled grammars kept per model; the roles use three schemas, the try box one more. */
const CACHE_LIMIT = 16

/**
 * xgrammar reports a bad schema by printing "[FATAL] … reason" through
 * console.error and then aborting with a bare "Aborted()". Its Emscripten glue
 * binds console.error once, when the wasm module starts, so this tap is put in
 * place before that (JsonGrammars.create) and stays: it forwards every call
 * unchanged and remembers the latest reason, for the BAD_REQUEST message.
 */
let lastFatal = ''
let tapped = false
function tapFatalMessages(): void {
  if (tapped) return
  tapped = true
  const original = console.error.bind(console)
  console.error = (...args: unknown[]) => {
    const first = typeof args[0] === 'string' ? args[0] : ''
    if (first.startsWith('[FATAL]')) lastFatal = first.replace(/^\[FATAL\]\s*\S+:\d+:\s*/, '')
    original(...args)
  }
}

export interface GrammarInfo {
  readonly modelId: string
  readonly vocabSize: number
  readonly stopIds: readonly number[]
}

interface Entry {
  readonly grammar: CompiledGrammar
  /**
   * One matcher per grammar, reset for every generation: the engine runs one
   * generation at a time, and creating a matcher leaks a small wasm handle
   * (createGrammarMatcher wraps `compiledGrammar.tokenizerInfo()` and never frees it).
   */
  readonly matcher: GrammarMatcher
}

/** One model's compiler and its cache of compiled JSON-schema grammars. `dispose()` on unload frees the wasm heap. */
export class JsonGrammars {
  private readonly cache = new Map<string, Entry>()
  private disposed = false
  /** Milliseconds each schema took to compile (cache misses only), by canonical schema text: for the bench and the logs. */
  readonly compileMs = new Map<string, number>()

  private constructor(
    private readonly xg: XGrammar,
    private readonly tokenizerInfo: XGrammarModule.TokenizerInfo,
    private readonly compiler: XGrammarModule.GrammarCompiler,
    readonly info: GrammarInfo,
  ) {}

  static async create(xg: XGrammar, modelId: string, table: VocabTable, stopIds: readonly number[]): Promise<JsonGrammars> {
    tapFatalMessages()
    const started = performance.now()
    const tokenizerInfo = await xg.TokenizerInfo.createTokenizerInfo([...table.vocab], table.vocabType, table.prependSpace, table.vocab.length, [...stopIds])
    const compiler = await xg.GrammarCompiler.createGrammarCompiler(tokenizerInfo)
    log.info(`constrained decoding ready for ${modelId}`, { vocab: table.vocab.length, vocabType: table.vocabType, ms: Math.round(performance.now() - started) })
    return new JsonGrammars(xg, tokenizerInfo, compiler, { modelId, vocabSize: table.vocab.length, stopIds })
  }

  /** The cache key: model + canonical schema. Throws BAD_REQUEST for what is not a JSON object. */
  key(schema: unknown): string {
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) throw new InferenceError('BAD_REQUEST', 'jsonSchema must be a JSON Schema object, e.g. {"type":"object","properties":{…}}.')
    const text = canonicalJson(schema)
    if (text.length > MAX_SCHEMA_CHARS) throw new InferenceError('BAD_REQUEST', `The JSON schema is ${text.length} characters; at most ${MAX_SCHEMA_CHARS} are accepted.`)
    return `${this.info.modelId}\n${text}`
  }

  /**
   * A matcher for `schema`, reset to the start, compiling the schema on first
   * use. Valid until the next call or `dispose()`. Invalid schemas fail with BAD_REQUEST.
   */
  async matcher(schema: unknown): Promise<GrammarMatcher> {
    const entry = await this.entry(schema)
    entry.matcher.reset()
    return entry.matcher
  }

  private async entry(schema: unknown): Promise<Entry> {
    if (this.disposed) throw new InferenceError('NOT_LOADED', 'The model was unloaded.')
    const key = this.key(schema)
    const hit = this.cache.get(key)
    if (hit) {
      this.cache.delete(key) // re-insert: the Map's order is the LRU order
      this.cache.set(key, hit)
      return hit
    }
    const text = key.slice(key.indexOf('\n') + 1)
    const started = performance.now()
    let grammar: CompiledGrammar
    lastFatal = ''
    try {
      grammar = await this.compiler.compileJSONSchema(text, false, -1, [',', ':'], true)
    } catch (err) {
      const why = lastFatal || (err instanceof Error ? err.message : String(err))
      throw new InferenceError('BAD_REQUEST', `The JSON schema cannot be turned into a grammar for constrained decoding: ${why}. Fix the schema (supported: type, properties, required, items/prefixItems, enum/const, min/max lengths and counts, pattern, anyOf and local $ref).`)
    }
    const matcher = await this.xg.GrammarMatcher.createGrammarMatcher(grammar, [...this.info.stopIds])
    if (this.disposed) {
      matcher.dispose()
      grammar.dispose()
      throw new InferenceError('NOT_LOADED', 'The model was unloaded while its grammar compiled.')
    }
    const ms = performance.now() - started
    this.compileMs.set(text, ms)
    log.info(`compiled a JSON-schema grammar for ${this.info.modelId}`, { ms: Math.round(ms), chars: text.length })
    const entry = { grammar, matcher }
    this.cache.set(key, entry)
    if (this.cache.size > CACHE_LIMIT) {
      const [oldest, old] = this.cache.entries().next().value as [string, Entry]
      this.cache.delete(oldest)
      old.matcher.dispose()
      old.grammar.dispose()
    }
    return entry
  }

  get size(): number {
    return this.cache.size
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    for (const e of this.cache.values()) {
      e.matcher.dispose()
      e.grammar.dispose()
    }
    this.cache.clear()
    this.compiler.dispose()
    this.tokenizerInfo.dispose()
  }
}
