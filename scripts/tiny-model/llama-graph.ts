/**
 * The decoder-only ONNX graph in the I/O layout transformers.js 4.3 expects
 * (see shared/notes/transformers-js-decoder-io.md):
 *   inputs  input_ids, attention_mask, position_ids (int64) and
 *           past_key_values.{i}.key/value [batch_size, kvHeads, past_sequence_length, headDim];
 *   outputs logits [batch_size, sequence_length, vocab] and present.{i}.key/value.
 * Only standard ONNX ops (opset 17) plus com.microsoft MatMulNBits for the
 * 4-bit linears, so the same file runs on ORT Web's WASM and WebGPU providers.
 */
import { GraphBuilder, DType } from './onnx-graph'
import { linearShape, ropeTables, type LinearName, type TinyConfig, type TinyWeights } from './config'
import { quantizeQ4, type QuantizedLinear } from './quantize'

/** Initializer names; tiny-reference.ts reads weights back by these names. */
export const initName = {
  embed: 'model.embed_tokens.weight',
  finalNorm: 'model.norm.weight',
  lmHead: 'lm_head',
  norm: (layer: number, which: 'input' | 'post') =>
    `model.layers.${layer}.${which === 'input' ? 'input_layernorm' : 'post_attention_layernorm'}.weight`,
  linear: (layer: number, name: LinearName) => `model.layers.${layer}.${name}_proj`,
}

export function buildDecoderOnnx(c: TinyConfig, w: TinyWeights): Uint8Array {
  const g = new GraphBuilder()
  const kvDims = (seq: string) => ['batch_size', c.kvHeads, seq, c.headDim]
  const inputIds = g.input('input_ids', DType.INT64, ['batch_size', 'sequence_length'])
  const attentionMask = g.input('attention_mask', DType.INT64, ['batch_size', 'total_sequence_length'])
  const positionIds = g.input('position_ids', DType.INT64, ['batch_size', 'sequence_length'])
  const past: { key: string; value: string }[] = []
  for (let i = 0; i < c.layers; i++) {
    past.push({
      key: g.input(`past_key_values.${i}.key`, DType.FLOAT, kvDims('past_sequence_length')),
      value: g.input(`past_key_values.${i}.value`, DType.FLOAT, kvDims('past_sequence_length')),
    })
  }

  const linear = (x: string, q: QuantizedLinear, name: string, out?: string): string => {
    const kBlocks = Math.ceil(q.k / q.blockSize)
    const b = g.initializer(`${name}.qweight`, DType.UINT8, [q.n, kBlocks, q.blockSize / 2], q.packed)
    const s = g.initializer(`${name}.scales`, DType.FLOAT, [q.n, kBlocks], q.scales)
    const attrs = [
      { name: 'K', i: q.k },
      { name: 'N', i: q.n },
      { name: 'bits', i: 4 },
      { name: 'block_size', i: q.blockSize },
    ]
    return g.node('MatMulNBits', [x, b, s], { attrs, domain: 'com.microsoft', outputs: out ? [out] : undefined })[0]!
  }
  const quant = (weight: Float32Array, n: number, k: number, name: string, x: string, out?: string) =>
    linear(x, quantizeQ4(weight, n, k, c.blockSize), name, out)

  // RMSNorm from standard ops: x / sqrt(mean(x²) + eps) * weight.
  const epsConst = g.constF32([c.rmsEps], [])
  const rmsNorm = (x: string, weight: Float32Array, name: string): string => {
    const meanSq = g.op('ReduceMean', [g.op('Mul', [x, x])], [{ name: 'axes', ints: [-1] }, { name: 'keepdims', i: 1 }])
    const denom = g.op('Sqrt', [g.op('Add', [meanSq, epsConst])])
    const wName = g.initializer(name, DType.FLOAT, [c.hidden], weight)
    return g.op('Mul', [g.op('Div', [x, denom]), wName])
  }

  // Rotary: cos/sin rows gathered by position_ids → [B,1,S,headDim], broadcast over heads.
  const tables = ropeTables(c)
  const axis1 = g.constI64([1])
  const gatherRope = (table: Float32Array, name: string) =>
    g.op('Unsqueeze', [g.op('Gather', [g.initializer(name, DType.FLOAT, [c.maxPositions, c.headDim], table), positionIds]), axis1])
  const cos = gatherRope(tables.cos, 'rope.cos')
  const sin = gatherRope(tables.sin, 'rope.sin')
  // rotate_half(x) = concat(-x[half:], x[:half]) written as x @ R, one MatMul.
  const half = c.headDim / 2
  const rot = new Float32Array(c.headDim * c.headDim)
  for (let j = 0; j < half; j++) {
    rot[(j + half) * c.headDim + j] = -1
    rot[j * c.headDim + j + half] = 1
  }
  const rotName = g.initializer('rope.rotate_half', DType.FLOAT, [c.headDim, c.headDim], rot)
  const rope = (x: string) => g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [g.op('MatMul', [x, rotName]), sin])])

  // Additive mask [B,1,1,S,T]: query i sits at absolute position (T - S + i)
  // and may see key j iff j <= that position and attention_mask[b, j] == 1.
  const scalar1 = g.constI64([1], [])
  const scalar0 = g.constI64([0], [])
  const total = g.op('Gather', [g.op('Shape', [attentionMask]), scalar1])
  const seq = g.op('Gather', [g.op('Shape', [inputIds]), scalar1])
  const keyPos = g.op('Range', [scalar0, total, scalar1])
  const queryPos = g.op('Unsqueeze', [g.op('Range', [g.op('Sub', [total, seq]), total, scalar1]), axis1])
  const causal = g.op('LessOrEqual', [keyPos, queryPos])
  const padOk = g.op('Unsqueeze', [g.op('Cast', [attentionMask], [{ name: 'to', i: DType.BOOL }]), g.constI64([1, 2, 3])])
  const maskBias = g.op('Where', [g.op('And', [causal, padOk]), g.constF32([0], []), g.constF32([-1e9], [])])

  const rep = c.heads / c.kvHeads
  const scoreScale = g.constF32([1 / Math.sqrt(c.headDim)], [])
  const toHeads = (x: string, heads: number) =>
    g.op('Transpose', [g.op('Reshape', [x, g.constI64([0, 0, heads, c.headDim])])], [{ name: 'perm', ints: [0, 2, 1, 3] }])
  const axis2 = g.constI64([2])

  let x = g.op('Gather', [g.initializer(initName.embed, DType.FLOAT, [c.vocabSize, c.hidden], w.embed), inputIds])
  w.layers.forEach((lw, i) => {
    const lin = (name: LinearName, input: string) => {
      const [n, k] = linearShape(c, name)
      return quant(lw[name], n, k, initName.linear(i, name), input)
    }
    const h = rmsNorm(x, lw.inputNorm, initName.norm(i, 'input'))
    const q = rope(toHeads(lin('q', h), c.heads))
    const k = rope(toHeads(lin('k', h), c.kvHeads))
    const v = toHeads(lin('v', h), c.kvHeads)
    const presentK = g.node('Concat', [past[i]!.key, k], { attrs: [{ name: 'axis', i: 2 }], outputs: [`present.${i}.key`] })[0]!
    const presentV = g.node('Concat', [past[i]!.value, v], { attrs: [{ name: 'axis', i: 2 }], outputs: [`present.${i}.value`] })[0]!
    g.output(presentK, DType.FLOAT, kvDims('total_sequence_length'))
    g.output(presentV, DType.FLOAT, kvDims('total_sequence_length'))
    // GQA without copying KV: query head h uses KV head floor(h / rep), so view
    // q as [B, kvHeads, rep, S, d] and broadcast K/V as [B, kvHeads, 1, T, d].
    const qGrouped = g.op('Reshape', [q, g.constI64([0, c.kvHeads, rep, -1, c.headDim])])
    const kT = g.op('Transpose', [g.op('Unsqueeze', [presentK, axis2])], [{ name: 'perm', ints: [0, 1, 2, 4, 3] }])
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [qGrouped, kT]), scoreScale]), maskBias])
    const probs = g.op('Softmax', [scores], [{ name: 'axis', i: -1 }])
    const ctx = g.op('MatMul', [probs, g.op('Unsqueeze', [presentV, axis2])])
    const merged = g.op('Reshape', [
      g.op('Transpose', [g.op('Reshape', [ctx, g.constI64([0, c.heads, -1, c.headDim])])], [{ name: 'perm', ints: [0, 2, 1, 3] }]),
      g.constI64([0, 0, c.heads * c.headDim]),
    ])
    x = g.op('Add', [x, lin('o', merged)])
    const h2 = rmsNorm(x, lw.postNorm, initName.norm(i, 'post'))
    const gate = lin('gate', h2)
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), lin('up', h2)])
    x = g.op('Add', [x, lin('down', act)])
  })
  const final = rmsNorm(x, w.finalNorm, initName.finalNorm)
  quant(w.lmHead, c.vocabSize, c.hidden, initName.lmHead, final, 'logits')
  g.output('logits', DType.FLOAT, ['batch_size', 'sequence_length', c.vocabSize])
  return g.finish('mindos_tiny_llama', 'mindos-swarm tiny-model builder')
}
