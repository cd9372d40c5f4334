/**
 * 4-bit block quantization in the layout of ONNX Runtime's `MatMulNBits`
 * (domain com.microsoft), which ORT Web runs on both WASM and WebGPU:
 *   B:      uint8 [N][ceil(K/block)][block/2], two codes per byte, the lower K
 *           index in the low nibble ("packed low-first along K");
 *   scales: float32 [N][ceil(K/block)];
 *   no zero_points input, so the zero point is the default 2^(bits-1) = 8:
 *           w = (code - 8) * scale.
 * Symmetric: each block's largest magnitude maps to ±7 codes.
 */

export interface QuantizedLinear {
  n: number
  k: number
  blockSize: number
  packed: Uint8Array
  scales: Float32Array
}

export function quantizeQ4(weight: Float32Array, n: number, k: number, blockSize: number): QuantizedLinear {
  if (weight.length !== n * k) throw new Error(`quantizeQ4: expected ${n}x${k} weights, got ${weight.length}`)
  if (blockSize % 2 !== 0) throw new Error('quantizeQ4: block size must be even')
  const kBlocks = Math.ceil(k / blockSize)
  const blob = blockSize / 2
  const packed = new Uint8Array(n * kBlocks * blob)
  const scales = new Float32Array(n * kBlocks)
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < kBlocks; b++) {
      const start = b * blockSize
      const end = Math.min(start + blockSize, k)
      let maxAbs = 0
      for (let i = start; i < end; i++) maxAbs = Math.max(maxAbs, Math.abs(weight[row * k + i]!))
      // Quantize against the float32 scale actually stored, so dequantizing the
      // file reproduces exactly the values chosen here.
      const scale = Math.fround(maxAbs / 7)
      scales[row * kBlocks + b] = scale
      for (let i = start; i < end; i++) {
        const code = scale === 0 ? 8 : Math.min(15, Math.max(0, Math.round(weight[row * k + i]! / scale) + 8))
        const at = (row * kBlocks + b) * blob + ((i - start) >> 1)
        packed[at] = packed[at]! | ((i - start) % 2 === 0 ? code : code << 4)
      }
      // Padding past K (none for this model's sizes) keeps code 0 in the low
      // nibble; MatMulNBits ignores values beyond K.
    }
  }
  return { n, k, blockSize, packed, scales }
}

/** Dequantized copy, used by the trainer's final quantization-aware steps. */
export function dequantizeQ4(q: QuantizedLinear): Float32Array {
  const kBlocks = Math.ceil(q.k / q.blockSize)
  const blob = q.blockSize / 2
  const out = new Float32Array(q.n * q.k)
  for (let row = 0; row < q.n; row++) {
    for (let i = 0; i < q.k; i++) {
      const b = Math.floor(i / q.blockSize)
      const within = i - b * q.blockSize
      const byte = q.packed[(row * kBlocks + b) * blob + (within >> 1)]!
      const code = within % 2 === 0 ? byte & 0x0f : byte >> 4
      out[row * q.k + i] = (code - 8) * q.scales[row * kBlocks + b]!
    }
  }
  return out
}
