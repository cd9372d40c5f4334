/**
 * Shape of the tiny fixture model and of its weights. One place for the sizes,
 * so the trainer, the quantizer, the graph and the JSON files agree.
 */

export interface TinyConfig {
  vocabSize: number
  hidden: number
  intermediate: number
  layers: number
  heads: number
  kvHeads: number
  headDim: number
  maxPositions: number
  ropeTheta: number
  rmsEps: number
  /** MatMulNBits block size along K (the input dimension). */
  blockSize: number
}

/** Llama-shaped: 2 layers, hidden 64, 4 query heads sharing 2 KV heads (GQA). */
export function tinyConfig(vocabSize: number): TinyConfig {
  return {
    vocabSize,
    hidden: 64,
    intermediate: 128,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    headDim: 16,
    // Generous so long role prompts still fit the rotary table (Gather fails past it).
    maxPositions: 2048,
    ropeTheta: 10000,
    rmsEps: 1e-5,
    blockSize: 32,
  }
}

/** Linear weights are stored `[out][in]` (row n holds output n's K inputs), as MatMulNBits packs them. */
export interface LayerWeights {
  inputNorm: Float32Array
  q: Float32Array
  k: Float32Array
  v: Float32Array
  o: Float32Array
  postNorm: Float32Array
  gate: Float32Array
  up: Float32Array
  down: Float32Array
}

export interface TinyWeights {
  embed: Float32Array // [vocab][hidden]
  layers: LayerWeights[]
  finalNorm: Float32Array
  lmHead: Float32Array // [vocab][hidden]
}

export type LinearName = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down'

/** [out, in] of each linear layer. */
export function linearShape(c: TinyConfig, name: LinearName): [number, number] {
  const qDim = c.heads * c.headDim
  const kvDim = c.kvHeads * c.headDim
  switch (name) {
    case 'q':
      return [qDim, c.hidden]
    case 'k':
    case 'v':
      return [kvDim, c.hidden]
    case 'o':
      return [c.hidden, qDim]
    case 'gate':
    case 'up':
      return [c.intermediate, c.hidden]
    case 'down':
      return [c.hidden, c.intermediate]
  }
}

export const LINEARS: readonly LinearName[] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down']

/**
 * Rotary tables `[maxPositions][headDim]`, HF-llama layout: frequency i is
 * repeated in columns i and i + headDim/2 (the "rotate_half" convention).
 */
export function ropeTables(c: TinyConfig): { cos: Float32Array; sin: Float32Array } {
  const half = c.headDim / 2
  const cos = new Float32Array(c.maxPositions * c.headDim)
  const sin = new Float32Array(c.maxPositions * c.headDim)
  for (let p = 0; p < c.maxPositions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p / Math.pow(c.ropeTheta, (2 * i) / c.headDim)
      for (const col of [i, i + half]) {
        cos[p * c.headDim + col] = Math.cos(angle)
        sin[p * c.headDim + col] = Math.sin(angle)
      }
    }
  }
  return { cos, sin }
}
