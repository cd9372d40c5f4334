/**
 * Trains the tiny llama on the bundled corpus for a few seconds, in plain
 * TypeScript: Adam, global-norm clipping, warmup + cosine decay, and a final
 * quantization-aware phase (forward through 4-bit fake-quantized linears,
 * straight-through gradients) so the shipped 4-bit weights keep what was
 * learned. Single-threaded and seeded, so the result is bit-identical per run.
 */
import { LINEARS, linearShape, type LayerWeights, type TinyConfig, type TinyWeights } from './config'
import { Prng } from './prng'
import { dequantizeQ4, quantizeQ4 } from './quantize'
import * as op from './train-ops'

export interface TrainOptions {
  steps: number
  batch: number
  seqLen: number
  lr: number
  seed: number
  /** Fraction of steps, at the end, run quantization-aware. */
  qatFraction: number
}

export const defaultTrainOptions: TrainOptions = { steps: 150, batch: 2, seqLen: 48, lr: 1e-2, seed: 20240611, qatFraction: 0.25 }

export function initWeights(c: TinyConfig, rng: Prng): TinyWeights {
  const ones = () => new Float32Array(c.hidden).fill(1)
  const layers = Array.from({ length: c.layers }, () => {
    const l = { inputNorm: ones(), postNorm: ones() } as LayerWeights
    for (const name of LINEARS) {
      const [n, k] = linearShape(c, name)
      // Residual-branch outputs start smaller so the stream stays well scaled.
      const shrink = name === 'o' || name === 'down' ? 1 / Math.sqrt(2 * c.layers) : 1
      l[name] = rng.normals(n * k, shrink / Math.sqrt(k))
    }
    return l
  })
  return { embed: rng.normals(c.vocabSize * c.hidden, 1), layers, finalNorm: ones(), lmHead: rng.normals(c.vocabSize * c.hidden, 1 / Math.sqrt(c.hidden)) }
}

/** Every trainable array of a weights object, in a fixed order. */
export function paramList(w: TinyWeights): Float32Array[] {
  return [w.embed, ...w.layers.flatMap((l) => [l.inputNorm, l.postNorm, ...LINEARS.map((n) => l[n])]), w.finalNorm, w.lmHead]
}

/** Zero-filled arrays shaped like `w`: the gradient accumulator. */
export function zerosLike(w: TinyWeights): TinyWeights {
  const z = (a: Float32Array) => new Float32Array(a.length)
  return {
    embed: z(w.embed),
    layers: w.layers.map((l) => ({ ...Object.fromEntries(Object.entries(l).map(([k, v]) => [k, z(v)])) }) as unknown as LayerWeights),
    finalNorm: z(w.finalNorm),
    lmHead: z(w.lmHead),
  }
}

/** Same weights with every linear replaced by its 4-bit round trip (the QAT forward). */
function fakeQuantized(c: TinyConfig, w: TinyWeights): TinyWeights {
  const fq = (a: Float32Array, n: number, k: number) => dequantizeQ4(quantizeQ4(a, n, k, c.blockSize))
  return {
    ...w,
    layers: w.layers.map((l) => {
      const out = { ...l }
      for (const name of LINEARS) out[name] = fq(l[name], ...linearShape(c, name))
      return out
    }),
    lmHead: fq(w.lmHead, c.vocabSize, c.hidden),
  }
}

/** Forward + backward over one window; adds gradients into `g`, returns the summed loss. */
export function sequenceGrad(c: TinyConfig, w: TinyWeights, g: TinyWeights, ids: Int32Array, rope: { cos: Float32Array; sin: Float32Array }, weight: number): number {
  const L = ids.length - 1
  const { hidden: D, heads: hq, kvHeads: hkv, headDim: d, intermediate: I, vocabSize: V } = c
  let x = new Float32Array(L * D)
  for (let l = 0; l < L; l++) x.set(w.embed.subarray(ids[l]! * D, (ids[l]! + 1) * D), l * D)
  const caches = w.layers.map((lw) => {
    const xIn = x
    const n1 = op.rmsNorm(xIn, lw.inputNorm, L, D, c.rmsEps)
    const q = op.rope(op.linear(n1.y, lw.q, L, D, hq * d), hq, d, L, rope.cos, rope.sin, false)
    const k = op.rope(op.linear(n1.y, lw.k, L, D, hkv * d), hkv, d, L, rope.cos, rope.sin, false)
    const v = op.linear(n1.y, lw.v, L, D, hkv * d)
    const att = op.attention(q, k, v, L, hq, hkv, d)
    const o = op.linear(att.out, lw.o, L, hq * d, D)
    const xMid = xIn.map((val, i) => val + o[i]!)
    const n2 = op.rmsNorm(xMid, lw.postNorm, L, D, c.rmsEps)
    const gate = op.linear(n2.y, lw.gate, L, D, I)
    const up = op.linear(n2.y, lw.up, L, D, I)
    const act = op.swiglu(gate, up)
    const down = op.linear(act, lw.down, L, I, D)
    x = xMid.map((val, i) => val + down[i]!)
    return { xIn, n1, q, k, v, att, xMid, n2, gate, up, act }
  })
  const nf = op.rmsNorm(x, w.finalNorm, L, D, c.rmsEps)
  const logits = op.linear(nf.y, w.lmHead, L, D, V)
  const { loss, dLogits } = op.crossEntropy(logits, ids.subarray(1), L, V, weight)

  let dx = op.rmsNormBack(op.linearBack(dLogits, nf.y, w.lmHead, g.lmHead, L, D, V), x, w.finalNorm, g.finalNorm, nf.cache, L, D)
  for (let i = c.layers - 1; i >= 0; i--) {
    const lw = w.layers[i]!
    const lg = g.layers[i]!
    const k = caches[i]!
    const dAct = op.linearBack(dx, k.act, lw.down, lg.down, L, I, D)
    const { dGate, dUp } = op.swigluBack(dAct, k.gate, k.up)
    const dn2 = op.linearBack(dGate, k.n2.y, lw.gate, lg.gate, L, D, I)
    const dn2b = op.linearBack(dUp, k.n2.y, lw.up, lg.up, L, D, I)
    const dMid = op.rmsNormBack(dn2.map((v, j) => v + dn2b[j]!), k.xMid, lw.postNorm, lg.postNorm, k.n2.cache, L, D)
    dx = dx.map((v, j) => v + dMid[j]!)
    const dAtt = op.linearBack(dx, k.att.out, lw.o, lg.o, L, hq * d, D)
    const { dq, dk, dv } = op.attentionBack(dAtt, k.q, k.k, k.v, k.att.probs, L, hq, hkv, d)
    const dn1 = op.linearBack(op.rope(dq, hq, d, L, rope.cos, rope.sin, true), k.n1.y, lw.q, lg.q, L, D, hq * d)
    const dn1k = op.linearBack(op.rope(dk, hkv, d, L, rope.cos, rope.sin, true), k.n1.y, lw.k, lg.k, L, D, hkv * d)
    const dn1v = op.linearBack(dv, k.n1.y, lw.v, lg.v, L, D, hkv * d)
    const dIn = op.rmsNormBack(dn1.map((v, j) => v + dn1k[j]! + dn1v[j]!), k.xIn, lw.inputNorm, lg.inputNorm, k.n1.cache, L, D)
    dx = dx.map((v, j) => v + dIn[j]!)
  }
  for (let l = 0; l < L; l++) {
    for (let j = 0; j < D; j++) g.embed[ids[l]! * D + j] = g.embed[ids[l]! * D + j]! + dx[l * D + j]!
  }
  return loss
}

export interface TrainResult {
  weights: TinyWeights
  /** Mean loss per token of each step. */
  losses: number[]
}

export function trainTiny(c: TinyConfig, stream: Int32Array, rope: { cos: Float32Array; sin: Float32Array }, opts: TrainOptions = defaultTrainOptions): TrainResult {
  const rng = new Prng(opts.seed)
  const w = initWeights(c, rng)
  const params = paramList(w)
  const m = params.map((p) => new Float32Array(p.length))
  const v = params.map((p) => new Float32Array(p.length))
  const losses: number[] = []
  const warmup = Math.max(1, Math.floor(opts.steps * 0.05))
  const qatStart = Math.floor(opts.steps * (1 - opts.qatFraction))
  for (let step = 0; step < opts.steps; step++) {
    const g = zerosLike(w)
    const fw = step >= qatStart ? fakeQuantized(c, w) : w
    let loss = 0
    for (let b = 0; b < opts.batch; b++) {
      const start = rng.int(stream.length - opts.seqLen - 1)
      const window = stream.subarray(start, start + opts.seqLen + 1)
      loss += sequenceGrad(c, fw, g, window, rope, 1 / (opts.batch * opts.seqLen))
    }
    losses.push(loss / (opts.batch * opts.seqLen))
    const grads = paramList(g)
    const norm = Math.sqrt(grads.reduce((s, a) => s + a.reduce((t, x) => t + x * x, 0), 0))
    const clip = norm > 1 ? 1 / norm : 1
    const progress = step < warmup ? (step + 1) / warmup : 0.1 + 0.45 * (1 + Math.cos((Math.PI * (step - warmup)) / (opts.steps - warmup)))
    const lr = opts.lr * Math.min(1, progress)
    const t = step + 1
    params.forEach((p, i) => adam(p, grads[i]!, m[i]!, v[i]!, lr, t, clip))
  }
  return { weights: w, losses }
}

/** One Adam update; `clip` scales the raw gradient (global-norm clipping). */
function adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, t: number, clip: number): void {
  const b1 = 0.9
  const b2 = 0.99
  const c1 = 1 - b1 ** t
  const c2 = 1 - b2 ** t
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]! * clip
    m[i] = b1 * m[i]! + (1 - b1) * gi
    v[i] = b2 * v[i]! + (1 - b2) * gi * gi
    p[i] = p[i]! - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + 1e-8)
  }
}
