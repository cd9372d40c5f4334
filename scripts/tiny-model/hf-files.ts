/**
 * The JSON side of the model folder: config.json, generation_config.json and
 * tokenizer_config.json, in the Hugging Face layout transformers.js reads.
 * The chat template and `chatml()` live together here because the training
 * data must be formatted exactly as `apply_chat_template` will format prompts.
 */
import type { TinyConfig } from './config'
import { SPECIALS } from './bpe'

export const EOS_ID = 0 // <|endoftext|>: separates training documents
export const IM_START_ID = 1
export const IM_END_ID = 2 // <|im_end|>: ends every chat turn, so generation stops there

/** ChatML. Jinja source kept on one line so the whitespace is exactly what `chatml()` emits. */
export const CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

/** What CHAT_TEMPLATE renders, computed in TypeScript for the training corpus. */
export function chatml(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
  const turns = messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('')
  return addGenerationPrompt ? `${turns}<|im_start|>assistant\n` : turns
}

export interface BuildInfo {
  trainSteps: number
  trainTokens: number
  finalLoss: number
}

export function configJson(c: TinyConfig, info: BuildInfo): object {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: c.vocabSize,
    hidden_size: c.hidden,
    intermediate_size: c.intermediate,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    num_key_value_heads: c.kvHeads,
    head_dim: c.headDim,
    hidden_act: 'silu',
    max_position_embeddings: c.maxPositions,
    rms_norm_eps: c.rmsEps,
    rope_theta: c.ropeTheta,
    rope_scaling: null,
    attention_bias: false,
    mlp_bias: false,
    tie_word_embeddings: false,
    bos_token_id: EOS_ID,
    eos_token_id: IM_END_ID,
    pad_token_id: EOS_ID,
    torch_dtype: 'float32',
    // Only a 4-bit file ships, so make q4 the default whatever the device
    // (transformers.js would otherwise pick q8 = model_quantized.onnx on wasm).
    'transformers.js_config': { dtype: 'q4', use_external_data_format: false },
    mindos_tiny_fixture: {
      note: 'Built by scripts/tiny-model/build.ts from a bundled corpus; a test fixture, not a useful model.',
      weights: '4-bit MatMulNBits (block 32, symmetric, zero point 8) for all linears; fp32 embeddings and norms',
      train_steps: info.trainSteps,
      train_tokens: info.trainTokens,
      final_loss: Number(info.finalLoss.toFixed(4)),
    },
  }
}

export function generationConfigJson(): object {
  return {
    bos_token_id: EOS_ID,
    eos_token_id: [IM_END_ID, EOS_ID],
    pad_token_id: EOS_ID,
    do_sample: false,
    max_new_tokens: 64,
  }
}

export function tokenizerConfigJson(c: TinyConfig): object {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    add_bos_token: false,
    add_eos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(
      SPECIALS.map((content, id) => [String(id), { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }]),
    ),
    bos_token: null,
    eos_token: SPECIALS[IM_END_ID],
    pad_token: SPECIALS[EOS_ID],
    unk_token: null,
    clean_up_tokenization_spaces: false,
    model_max_length: c.maxPositions,
    chat_template: CHAT_TEMPLATE,
  }
}
