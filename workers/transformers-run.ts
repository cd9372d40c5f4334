/**
 * One generation, and one raw forward pass, on a loaded transformers.js
 * model. Kept apart from the engine's bookkeeping (transformers-engine.ts):
 * this is where requests become `model.generate()` arguments.
 *
 * Stop conditions: the model's EOS ids plus ChatML's <|im_end|> (resolved at
 * load), `maxTokens` (clamped to what is left of the context window), and an
 * InterruptableStoppingCriteria for abort, which transformers.js checks after
 * every token: generation ends within one step of `abort()` arriving.
 *
 * With a GrammarGuide (a request with `jsonSchema`), its logits processor
 * constrains every step to the schema (grammar-logits-processor.ts); a dead
 * end it records is thrown here, after generate() has ended cleanly.
 */
import type { PreTrainedModel, PreTrainedTokenizer, Tensor } from '@huggingface/transformers'
import { InferenceError } from '../src/errors'
import type { FirstLogits } from '../src/inference/protocol'
import type { GenerateRequest, GenerateResult, GenerateUsage } from '../src/inference/types'
import type { Transformers } from './transformers-env'
import { grammarLogitsProcessor, type GrammarGuide } from './grammar-logits-processor'
import { DeltaStreamer, measureSpeeds } from './transformers-stream'

export interface LoadedModel {
  readonly model: PreTrainedModel
  readonly tokenizer: PreTrainedTokenizer
  readonly eos: readonly number[]
}

export interface RunHooks {
  cancelled(): boolean
  /** Receives the function that stops this run after the current token. */
  onStopper(stop: () => void): void
  emit(delta: string): void
}

export interface RunOutput {
  readonly text: string
  readonly ids: readonly number[]
  readonly finishReason: GenerateResult['finishReason']
  readonly usage: GenerateUsage
}

type GenerateArgs = Parameters<PreTrainedModel['generate']>[0]

export async function runGeneration(
  lib: Transformers,
  { model, tokenizer, eos }: LoadedModel,
  request: Pick<GenerateRequest, 'messages' | 'maxTokens' | 'temperature'>,
  contextWindow: number,
  hooks: RunHooks,
  grammar?: GrammarGuide,
): Promise<RunOutput> {
  const messages = request.messages.map((m) => ({ role: m.role, content: m.content }))
  const inputs = tokenizer.apply_chat_template(messages, { add_generation_prompt: true, return_dict: true }) as unknown as { input_ids: Tensor; attention_mask: Tensor }
  const promptTokens = Number(inputs.input_ids.dims.at(-1) ?? 0)
  const room = contextWindow - promptTokens
  if (room <= 0) throw new InferenceError('BAD_REQUEST', `The prompt has ${promptTokens} tokens; this model's context window is ${contextWindow}. Shorten it.`)
  const maxNew = Math.min(request.maxTokens, room)

  const stopper = new lib.InterruptableStoppingCriteria()
  hooks.onStopper(() => stopper.interrupt())
  if (hooks.cancelled()) stopper.interrupt()
  const streamer = new DeltaStreamer(tokenizer as unknown as ConstructorParameters<typeof DeltaStreamer>[0], hooks.emit)
  const sample = request.temperature > 0
  const startedAt = performance.now()
  // The grammar's async half runs before each forward pass, the one await per step that precedes the logits processor.
  const forward = model.forward
  if (grammar) model.forward = async (inputs: unknown) => (await grammar.prefetch(streamer.ids), forward.call(model, inputs))
  try {
    await model.generate({
      ...inputs,
      max_new_tokens: maxNew,
      do_sample: sample,
      ...(sample ? { temperature: request.temperature } : {}),
      eos_token_id: [...eos],
      stopping_criteria: [stopper],
      streamer,
      ...(grammar ? { logits_processor: [grammarLogitsProcessor(lib, grammar)] } : {}),
    } as unknown as GenerateArgs)
  } finally {
    model.forward = forward
  }
  if (grammar?.failure) throw grammar.failure

  const ids = streamer.ids
  const last = ids.at(-1)
  const finishReason = last !== undefined && eos.includes(last) ? 'stop' : ids.length >= maxNew ? 'length' : 'stop'
  const speeds = measureSpeeds(promptTokens, startedAt, streamer)
  return {
    text: streamer.text(),
    ids: [...ids],
    finishReason,
    usage: { promptTokens, completionTokens: ids.length, decodeTokensPerSec: speeds.decode, prefillTokensPerSec: speeds.prefill },
  }
}

/** One forward pass over `tokens` from an empty cache: the logits that choose the first generated token, and every row before. */
export async function runFirstLogits(lib: Transformers, { model }: LoadedModel, tokens: readonly number[]): Promise<FirstLogits> {
  const n = tokens.length
  const input_ids = new lib.Tensor('int64', BigInt64Array.from(tokens.map((t) => BigInt(t))), [1, n])
  const attention_mask = new lib.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n])
  const out = (await model.forward({ input_ids, attention_mask })) as Record<string, Tensor | undefined>
  const logits = out.logits
  if (!logits) throw new InferenceError('INTERNAL', 'The model returned no logits.')
  const f32 = logits.type === 'float32' ? logits : logits.to('float32')
  const data = Float32Array.from(f32.data as Float32Array)
  // The cache outputs may live on the GPU (WebGPU): free them, nothing reads them.
  for (const t of Object.values(out)) if (t && t !== logits && (t as { location?: string }).location === 'gpu-buffer') t.dispose()
  const vocab = Number(logits.dims.at(-1) ?? 0)
  return { vocab, positions: n, logits: data }
}
