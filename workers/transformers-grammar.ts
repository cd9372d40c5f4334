/**
 * Constrained decoding for one loaded transformers.js model: reads the
 * vocabulary from its tokenizer, the logits width from its config and the
 * stop ids the engine resolved at load, builds the model's JsonGrammars on
 * the first request with a `jsonSchema` (loading xgrammar then), and hands
 * out one GrammarGuide per generation. Disposed with the model.
 */
import { InferenceError } from '../src/errors'
import { GrammarGuide, tokenMatcher } from './grammar-logits-processor'
import { buildVocabTable, JsonGrammars, type TokenizerJson, type XGrammar } from './json-grammar'
import type { LoadedModel } from './transformers-run'

/**
 * transformers.js keeps the parsed tokenizer.json on the tokenizer
 * (`_tokenizerJSON`, set in its PreTrainedTokenizer constructor, 4.3.x); the
 * public `get_vocab()` lacks the decoder type and the added tokens.
 */
export function tokenizerJsonOf(tokenizer: unknown): TokenizerJson {
  const json = (tokenizer as { _tokenizerJSON?: unknown })._tokenizerJSON
  if (json === null || typeof json !== 'object') throw new InferenceError('INTERNAL', 'This transformers.js version does not expose the tokenizer’s vocabulary, so constrained decoding cannot run.')
  return json as TokenizerJson
}

/** The model's output width: config.vocab_size (may exceed the tokenizer when the vocabulary is padded). */
export function logitsWidthOf(model: unknown): number {
  const size = (model as { config?: { vocab_size?: unknown } }).config?.vocab_size
  return typeof size === 'number' && Number.isInteger(size) && size > 0 ? size : 0
}

export class TransformersGrammar {
  private grammars: Promise<JsonGrammars> | null = null

  constructor(
    private readonly modelId: string,
    private readonly loaded: LoadedModel,
    private readonly loadLibrary: () => Promise<XGrammar>,
  ) {}

  private get(): Promise<JsonGrammars> {
    this.grammars ??= (async () => {
      let xg: XGrammar
      try {
        xg = await this.loadLibrary()
      } catch (err) {
        if (err instanceof InferenceError) throw err
        throw new InferenceError('DOWNLOAD_FAILED', `The constrained-decoding module (xgrammar) could not be loaded: ${err instanceof Error ? err.message : String(err)}. Check the connection to this server and retry.`)
      }
      const table = buildVocabTable(tokenizerJsonOf(this.loaded.tokenizer), logitsWidthOf(this.loaded.model))
      return JsonGrammars.create(xg, this.modelId, table, this.loaded.eos)
    })()
    this.grammars.catch(() => {
      this.grammars = null
    })
    return this.grammars
  }

  /** The compiled grammars, created on first use (the bench reads compile times from them). */
  grammarsReady(): Promise<JsonGrammars> {
    return this.get()
  }

  /** A guide for one generation constrained to `schema`; BAD_REQUEST when the schema cannot be compiled. */
  async guide(schema: unknown): Promise<GrammarGuide> {
    const grammars = await this.get()
    const matcher = await grammars.matcher(schema)
    const { vocabSize } = grammars.info
    return new GrammarGuide(tokenMatcher(matcher, vocabSize), {
      vocabSize,
      stopIds: this.loaded.eos,
      describe: (ids) => this.loaded.tokenizer.decode([...ids], { skip_special_tokens: false }),
    })
  }

  dispose(): void {
    const pending = this.grammars
    this.grammars = null
    void pending?.then((g) => g.dispose(), () => {})
  }
}
