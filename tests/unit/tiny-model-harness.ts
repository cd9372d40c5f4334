/**
 * Drives the tiny fixture model's ONNX session directly, the way
 * transformers.js does (see shared/notes/transformers-js-decoder-io.md): empty
 * past tensors on the first step, then only the newest token plus the
 * `present.*` outputs fed back as `past_key_values.*`. Works with both
 * onnxruntime-node (CPU) and onnxruntime-web (WASM in Node), which share the
 * onnxruntime-common API.
 */
import type * as OrtNode from 'onnxruntime-node'

export type Ort = Pick<typeof OrtNode, 'Tensor'>
export type Session = OrtNode.InferenceSession
type Tensor = OrtNode.Tensor

export interface Shape {
  layers: number
  kvHeads: number
  headDim: number
  vocab: number
}

export function emptyPast(ort: Ort, s: Shape, batch = 1): Record<string, Tensor> {
  const past: Record<string, Tensor> = {}
  for (let i = 0; i < s.layers; i++) {
    for (const kv of ['key', 'value']) {
      past[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [batch, s.kvHeads, 0, s.headDim])
    }
  }
  return past
}

const i64 = (ort: Ort, rows: number[][]) =>
  new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0]!.length])

export interface StepOut {
  /** [batch][seq][vocab] flattened. */
  logits: Float32Array
  present: Record<string, Tensor>
}

/** One session.run; `mask` covers past + new tokens, as transformers.js sends it. */
export async function step(ort: Ort, session: Session, s: Shape, ids: number[][], mask: number[][], positions: number[][], past: Record<string, Tensor>): Promise<StepOut> {
  const out = await session.run({
    input_ids: i64(ort, ids),
    attention_mask: i64(ort, mask),
    position_ids: i64(ort, positions),
    ...past,
  })
  const present: Record<string, Tensor> = {}
  for (let i = 0; i < s.layers; i++) {
    for (const kv of ['key', 'value']) present[`past_key_values.${i}.${kv}`] = out[`present.${i}.${kv}`]!
  }
  return { logits: out.logits!.data as Float32Array, present }
}

/** Index of the largest logit, skipping `banned` ids (how min_new_tokens suppresses EOS). */
export function argmax(row: Float32Array, banned: readonly number[] = []): number {
  let best = -1
  for (let i = 0; i < row.length; i++) {
    if (!banned.includes(i) && (best < 0 || row[i]! > row[best]!)) best = i
  }
  return best
}

export interface Greedy {
  tokens: number[]
  /** Logits that chose each generated token. */
  stepLogits: Float32Array[]
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i)

/** Greedy decoding with the KV cache: prompt once, then one token per step. */
export async function greedyCached(ort: Ort, session: Session, s: Shape, prompt: number[], n: number, banned: readonly number[] = []): Promise<Greedy> {
  const tokens: number[] = []
  const stepLogits: Float32Array[] = []
  let past = emptyPast(ort, s)
  let input = prompt
  let pos = 0
  for (let t = 0; t < n; t++) {
    const total = pos + input.length
    const out = await step(ort, session, s, [input], [new Array<number>(total).fill(1)], [range(pos, input.length)], past)
    const last = out.logits.slice((input.length - 1) * s.vocab, input.length * s.vocab)
    const next = argmax(last, banned)
    tokens.push(next)
    stepLogits.push(last)
    past = out.present
    pos = total
    input = [next]
  }
  return { tokens, stepLogits }
}

/** Greedy decoding without a cache: the whole sequence is recomputed every step. */
export async function greedyRecompute(ort: Ort, session: Session, s: Shape, prompt: number[], n: number): Promise<Greedy> {
  const seq = [...prompt]
  const tokens: number[] = []
  const stepLogits: Float32Array[] = []
  for (let t = 0; t < n; t++) {
    const out = await step(ort, session, s, [seq], [new Array<number>(seq.length).fill(1)], [range(0, seq.length)], emptyPast(ort, s))
    const last = out.logits.slice((seq.length - 1) * s.vocab, seq.length * s.vocab)
    const next = argmax(last)
    tokens.push(next)
    stepLogits.push(last)
    seq.push(next)
  }
  return { tokens, stepLogits }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!))
  return max
}
