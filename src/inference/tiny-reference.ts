/**
 * Independent plain-TypeScript forward pass of the tiny fixture model
 * (fixtures/tiny-fixture, built by scripts/tiny-model/build.ts).
 *
 * Written apart from the graph builder on purpose: it parses the .onnx bytes
 * itself, dequantizes the 4-bit weights as com.microsoft MatMulNBits defines
 * them, recomputes the rotary angles from `rope_theta` instead of reading the
 * graph's tables, and runs llama attention in float64 without a KV cache. Tests
 * compare ONNX Runtime's logits against it, so a wrong op, axis, mask or cache
 * wiring in the graph shows up as a logit mismatch. Pure (no fs), so a browser
 * test can use it too.
 */

/** The config.json fields the forward pass needs (llama naming). */
export interface TinyModelConfig {
  hidden_size: number
  intermediate_size: number
  num_hidden_layers: number
  num_attention_heads: number
  num_key_value_heads: number
  head_dim?: number
  vocab_size: number
  rms_norm_eps: number
  rope_theta: number
}

export interface RawTensor {
  dims: number[]
  dataType: number
  raw: Uint8Array
}

/** Initializers of an ONNX ModelProto, by name (only raw_data storage, which the builder uses). */
export function readOnnxInitializers(bytes: Uint8Array): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>()
  const graph = fields(bytes).find((f) => f.no === 7)
  if (!graph?.bytes) throw new Error('tiny-reference: ModelProto has no graph')
  for (const f of fields(graph.bytes)) {
    if (f.no !== 5 || !f.bytes) continue
    const t: RawTensor = { dims: [], dataType: 0, raw: new Uint8Array(0) }
    let name = ''
    for (const tf of fields(f.bytes)) {
      if (tf.no === 1 && tf.int !== undefined) t.dims.push(tf.int)
      else if (tf.no === 1 && tf.bytes) t.dims.push(...packedVarints(tf.bytes))
      else if (tf.no === 2 && tf.int !== undefined) t.dataType = tf.int
      else if (tf.no === 8 && tf.bytes) name = new TextDecoder().decode(tf.bytes)
      else if (tf.no === 9 && tf.bytes) t.raw = tf.bytes
    }
    out.set(name, t)
  }
  return out
}

interface Field {
  no: number
  int?: number
  bytes?: Uint8Array
}

/** Top-level fields of one protobuf message (varint, fixed32/64, length-delimited). */
function fields(buf: Uint8Array): Field[] {
  const out: Field[] = []
  let pos = 0
  const varint = (): number => {
    let result = 0
    let mul = 1
    for (;;) {
      const b = buf[pos++]!
      result += (b & 0x7f) * mul
      if (b < 0x80) return result
      mul *= 128
    }
  }
  while (pos < buf.length) {
    const key = varint()
    const no = Math.floor(key / 8)
    const wire = key % 8
    if (wire === 0) out.push({ no, int: varint() })
    else if (wire === 2) {
      const len = varint()
      out.push({ no, bytes: buf.subarray(pos, pos + len) })
      pos += len
    } else if (wire === 5) pos += 4
    else if (wire === 1) pos += 8
    else throw new Error(`tiny-reference: unsupported wire type ${wire}`)
  }
  return out
}

/** Packed repeated varints (proto3 writers pack `dims`; the fixture's builder does not). */
function packedVarints(buf: Uint8Array): number[] {
  const out: number[] = []
  let value = 0
  let mul = 1
  for (const b of buf) {
    value += (b & 0x7f) * mul
    mul *= 128
    if (b < 0x80) {
      out.push(value)
      value = 0
      mul = 1
    }
  }
  return out
}

function floats(t: RawTensor | undefined, what: string): Float64Array {
  if (!t || t.dataType !== 1) throw new Error(`tiny-reference: missing float tensor ${what}`)
  const view = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength)
  return Float64Array.from({ length: t.raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true))
}

/**
 * MatMulNBits weights → dense [N][K]: B is uint8 [N][kBlocks][blockSize/2],
 * element k of a block in the low nibble when k is even, high when odd;
 * value = (code - 8) * scale (no zero_points input ⇒ default zero point 8).
 */
export function dequantizeMatMulNBits(qweight: RawTensor, scales: RawTensor, k: number): { n: number; w: Float64Array } {
  const [n, kBlocks, blob] = qweight.dims as [number, number, number]
  const blockSize = blob * 2
  const s = floats(scales, 'scales')
  const w = new Float64Array(n * k)
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < k; col++) {
      const block = Math.floor(col / blockSize)
      const within = col % blockSize
      const byte = qweight.raw[(row * kBlocks + block) * blob + Math.floor(within / 2)]!
      const code = within % 2 === 0 ? byte & 15 : byte >> 4
      w[row * k + col] = (code - 8) * s[row * kBlocks + block]!
    }
  }
  return { n, w }
}

type Matrix = Float64Array[] // rows

function matmulT(x: Matrix, w: Float64Array, n: number): Matrix {
  return x.map((row) => {
    const out = new Float64Array(n)
    for (let j = 0; j < n; j++) {
      let sum = 0
      for (let i = 0; i < row.length; i++) sum += row[i]! * w[j * row.length + i]!
      out[j] = sum
    }
    return out
  })
}

function rmsNorm(x: Matrix, weight: Float64Array, eps: number): Matrix {
  return x.map((row) => {
    const meanSq = row.reduce((a, v) => a + v * v, 0) / row.length
    const inv = 1 / Math.sqrt(meanSq + eps)
    return row.map((v, i) => v * inv * weight[i]!)
  })
}

/** HF llama rotary ("rotate_half"): pairs (i, i + d/2) rotate by pos / theta^(2i/d). */
function applyRope(vec: Float64Array, offset: number, d: number, pos: number, theta: number): void {
  const half = d / 2
  for (let i = 0; i < half; i++) {
    const angle = pos / Math.pow(theta, (2 * i) / d)
    const a = vec[offset + i]!
    const b = vec[offset + i + half]!
    vec[offset + i] = a * Math.cos(angle) - b * Math.sin(angle)
    vec[offset + i + half] = b * Math.cos(angle) + a * Math.sin(angle)
  }
}

/** Logits for every position of `tokens` (positions 0..n-1, no padding, no cache). */
export function referenceLogits(cfg: TinyModelConfig, inits: Map<string, RawTensor>, tokens: number[]): Float64Array[] {
  const d = cfg.head_dim ?? cfg.hidden_size / cfg.num_attention_heads
  const hq = cfg.num_attention_heads
  const hkv = cfg.num_key_value_heads
  const get = (name: string) => {
    const t = inits.get(name)
    if (!t) throw new Error(`tiny-reference: missing initializer ${name}`)
    return t
  }
  const linear = (x: Matrix, name: string): Matrix => {
    const { n, w } = dequantizeMatMulNBits(get(`${name}.qweight`), get(`${name}.scales`), x[0]!.length)
    return matmulT(x, w, n)
  }
  const embed = floats(get('model.embed_tokens.weight'), 'embed')
  let x: Matrix = tokens.map((t) => embed.slice(t * cfg.hidden_size, (t + 1) * cfg.hidden_size))
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const p = `model.layers.${l}`
    const h = rmsNorm(x, floats(get(`${p}.input_layernorm.weight`), 'norm'), cfg.rms_norm_eps)
    const q = linear(h, `${p}.q_proj`)
    const k = linear(h, `${p}.k_proj`)
    const v = linear(h, `${p}.v_proj`)
    q.forEach((row, pos) => {
      for (let head = 0; head < hq; head++) applyRope(row, head * d, d, pos, cfg.rope_theta)
    })
    k.forEach((row, pos) => {
      for (let head = 0; head < hkv; head++) applyRope(row, head * d, d, pos, cfg.rope_theta)
    })
    const attn: Matrix = q.map((qRow, i) => {
      const out = new Float64Array(hq * d)
      for (let head = 0; head < hq; head++) {
        const kvHead = Math.floor(head / (hq / hkv))
        const scores = Array.from({ length: i + 1 }, (_, j) => {
          let s = 0
          for (let e = 0; e < d; e++) s += qRow[head * d + e]! * k[j]![kvHead * d + e]!
          return s / Math.sqrt(d)
        })
        const max = Math.max(...scores)
        const exps = scores.map((s) => Math.exp(s - max))
        const total = exps.reduce((a, b) => a + b, 0)
        exps.forEach((e, j) => {
          for (let c = 0; c < d; c++) out[head * d + c] = out[head * d + c]! + (e / total) * v[j]![kvHead * d + c]!
        })
      }
      return out
    })
    const o = linear(attn, `${p}.o_proj`)
    x = x.map((row, i) => row.map((val, c) => val + o[i]![c]!))
    const h2 = rmsNorm(x, floats(get(`${p}.post_attention_layernorm.weight`), 'norm'), cfg.rms_norm_eps)
    const gate = linear(h2, `${p}.gate_proj`)
    const up = linear(h2, `${p}.up_proj`)
    const act = gate.map((row, i) => row.map((gv, c) => (gv / (1 + Math.exp(-gv))) * up[i]![c]!))
    const down = linear(act, `${p}.down_proj`)
    x = x.map((row, i) => row.map((val, c) => val + down[i]![c]!))
  }
  return linear(rmsNorm(x, floats(get('model.norm.weight'), 'norm'), cfg.rms_norm_eps), 'lm_head')
}
