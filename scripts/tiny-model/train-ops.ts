/**
 * Forward and backward kernels for training the tiny model on one sequence
 * (batch 1, positions 0..L-1). Activations are row-major Float32Arrays
 * `[L][width]`; backward functions accumulate parameter gradients in place and
 * return the input gradient. Hand-written rather than a tensor library because
 * the model is fixed and tiny, and a dependency-free builder can run on first
 * server start.
 */

/**
 * out[m][n] (+)= Σ_k a[m][k] · b[n][k]  — the one matmul kernel all linears
 * use (after transposes). Register-blocked 2 rows × 4 columns: each loaded
 * value feeds several multiply-adds, which is ~2-3x faster in V8 than a plain
 * dot product, and training time is what bounds the fixture's build time.
 */
function abT(a: Float32Array, M: number, b: Float32Array, N: number, K: number, out: Float32Array, accumulate: boolean): void {
  const mMain = M - (M % 2)
  const nMain = N - (N % 4)
  for (let m = 0; m < mMain; m += 2) {
    const x0 = m * K
    const x1 = x0 + K
    for (let n = 0; n < nMain; n += 4) {
      const w0 = n * K
      const w1 = w0 + K
      const w2 = w1 + K
      const w3 = w2 + K
      let a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0 // prettier-ignore
      for (let k = 0; k < K; k++) {
        const u = a[x0 + k]!
        const v = a[x1 + k]!
        const p = b[w0 + k]!
        const q = b[w1 + k]!
        const r = b[w2 + k]!
        const s = b[w3 + k]!
        a00 += u * p
        a01 += u * q
        a02 += u * r
        a03 += u * s
        a10 += v * p
        a11 += v * q
        a12 += v * r
        a13 += v * s
      }
      const o0 = m * N + n
      const o1 = o0 + N
      if (accumulate) {
        a00 += out[o0]!
        a01 += out[o0 + 1]!
        a02 += out[o0 + 2]!
        a03 += out[o0 + 3]!
        a10 += out[o1]!
        a11 += out[o1 + 1]!
        a12 += out[o1 + 2]!
        a13 += out[o1 + 3]!
      }
      out[o0] = a00
      out[o0 + 1] = a01
      out[o0 + 2] = a02
      out[o0 + 3] = a03
      out[o1] = a10
      out[o1 + 1] = a11
      out[o1 + 2] = a12
      out[o1 + 3] = a13
    }
  }
  // Leftover rows/columns (none for this model's sizes): plain dot products.
  for (let m = 0; m < M; m++) {
    for (let n = m < mMain ? nMain : 0; n < N; n++) {
      let sum = 0
      for (let k = 0; k < K; k++) sum += a[m * K + k]! * b[n * K + k]!
      out[m * N + n] = (accumulate ? out[m * N + n]! : 0) + sum
    }
  }
}

/** [rows][cols] → [cols][rows]. */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c]!
  return t
}

/** y[l][n] = Σ_k x[l][k] · W[n][k]  (W stored [out][in], like MatMulNBits). */
export function linear(x: Float32Array, w: Float32Array, L: number, K: number, N: number): Float32Array {
  const y = new Float32Array(L * N)
  abT(x, L, w, N, K, y, false)
  return y
}

/** dx = dy · W;  dW += dyᵀ · x. */
export function linearBack(dy: Float32Array, x: Float32Array, w: Float32Array, dw: Float32Array, L: number, K: number, N: number): Float32Array {
  const dx = new Float32Array(L * K)
  abT(dy, L, transpose(w, N, K), K, N, dx, false)
  abT(transpose(dy, L, N), N, transpose(x, L, K), K, L, dw, true)
  return dx
}

export interface NormCache {
  inv: Float32Array // 1 / rms per row
}

export function rmsNorm(x: Float32Array, g: Float32Array, L: number, D: number, eps: number): { y: Float32Array; cache: NormCache } {
  const y = new Float32Array(L * D)
  const inv = new Float32Array(L)
  for (let l = 0; l < L; l++) {
    let ss = 0
    for (let i = 0; i < D; i++) ss += x[l * D + i]! ** 2
    const r = 1 / Math.sqrt(ss / D + eps)
    inv[l] = r
    for (let i = 0; i < D; i++) y[l * D + i] = x[l * D + i]! * r * g[i]!
  }
  return { y, cache: { inv } }
}

/** dx_j = r·g_j·dy_j − x_j·r³/D · Σ_i dy_i·g_i·x_i;  dg_i += dy_i·x_i·r. */
export function rmsNormBack(dy: Float32Array, x: Float32Array, g: Float32Array, dg: Float32Array, cache: NormCache, L: number, D: number): Float32Array {
  const dx = new Float32Array(L * D)
  for (let l = 0; l < L; l++) {
    const r = cache.inv[l]!
    let s = 0
    for (let i = 0; i < D; i++) {
      s += dy[l * D + i]! * g[i]! * x[l * D + i]!
      dg[i] = dg[i]! + dy[l * D + i]! * x[l * D + i]! * r
    }
    const c = (r * r * r * s) / D
    for (let i = 0; i < D; i++) dx[l * D + i] = r * g[i]! * dy[l * D + i]! - x[l * D + i]! * c
  }
  return dx
}

/**
 * Rotary embedding, rotate_half convention: y = x·cos + rot(x)·sin with
 * rot(x)_i = −x_{i+h} (i < h), x_{i−h} (i ≥ h). `back` applies the transpose.
 */
export function rope(x: Float32Array, heads: number, d: number, L: number, cos: Float32Array, sin: Float32Array, back: boolean): Float32Array {
  const y = new Float32Array(x.length)
  const half = d / 2
  const sign = back ? -1 : 1
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < heads; h++) {
      const o = (l * heads + h) * d
      for (let i = 0; i < d; i++) {
        const partner = i < half ? i + half : i - half
        // forward: rot(x)_i·sin_i; backward: (rotᵀ(dy·sin))_i uses the partner's sin.
        const rotated = back ? x[o + partner]! * sin[l * d + partner]! : x[o + partner]! * sin[l * d + i]!
        y[o + i] = x[o + i]! * cos[l * d + i]! + (i < half ? -sign : sign) * rotated
      }
    }
  }
  return y
}

/**
 * Causal grouped-query attention. Query head h reads KV head floor(h / (hq / hkv)).
 * Row offsets: q/out row i head h at (i·hq + h)·d, k/v row j head kv at (j·hkv + kv)·d.
 */
export function attention(q: Float32Array, k: Float32Array, v: Float32Array, L: number, hq: number, hkv: number, d: number): { out: Float32Array; probs: Float32Array } {
  const out = new Float32Array(L * hq * d)
  const probs = new Float32Array(hq * L * L)
  const scale = 1 / Math.sqrt(d)
  for (let h = 0; h < hq; h++) {
    const kv = Math.floor(h / (hq / hkv))
    for (let i = 0; i < L; i++) {
      const qo = (i * hq + h) * d
      const po = (h * L + i) * L
      let max = -Infinity
      for (let j = 0; j <= i; j++) {
        const ko = (j * hkv + kv) * d
        let s = 0
        for (let e = 0; e < d; e++) s += q[qo + e]! * k[ko + e]!
        probs[po + j] = s * scale
        max = Math.max(max, s * scale)
      }
      let total = 0
      for (let j = 0; j <= i; j++) {
        const e = Math.exp(probs[po + j]! - max)
        probs[po + j] = e
        total += e
      }
      for (let j = 0; j <= i; j++) {
        const p = probs[po + j]! / total
        probs[po + j] = p
        const vo = (j * hkv + kv) * d
        for (let e = 0; e < d; e++) out[qo + e] = out[qo + e]! + p * v[vo + e]!
      }
    }
  }
  return { out, probs }
}

/** Softmax backward: dS_ij = P_ij·(dP_ij − Σ_j' P_ij'·dP_ij'), then the two matmuls' transposes. */
export function attentionBack(dout: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array, L: number, hq: number, hkv: number, d: number) {
  const dq = new Float32Array(q.length)
  const dk = new Float32Array(k.length)
  const dv = new Float32Array(v.length)
  const scale = 1 / Math.sqrt(d)
  const dp = new Float32Array(L)
  for (let h = 0; h < hq; h++) {
    const kv = Math.floor(h / (hq / hkv))
    for (let i = 0; i < L; i++) {
      const qo = (i * hq + h) * d
      const po = (h * L + i) * L
      let dot = 0
      for (let j = 0; j <= i; j++) {
        const vo = (j * hkv + kv) * d
        const p = probs[po + j]!
        let s = 0
        for (let e = 0; e < d; e++) {
          s += dout[qo + e]! * v[vo + e]!
          dv[vo + e] = dv[vo + e]! + p * dout[qo + e]!
        }
        dp[j] = s
        dot += p * s
      }
      for (let j = 0; j <= i; j++) {
        const ko = (j * hkv + kv) * d
        const ds = probs[po + j]! * (dp[j]! - dot) * scale
        for (let e = 0; e < d; e++) {
          dq[qo + e] = dq[qo + e]! + ds * k[ko + e]!
          dk[ko + e] = dk[ko + e]! + ds * q[qo + e]!
        }
      }
    }
  }
  return { dq, dk, dv }
}

/** SwiGLU: a = silu(gate) · up. */
export function swiglu(gate: Float32Array, up: Float32Array): Float32Array {
  return gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!)
}

export function swigluBack(da: Float32Array, gate: Float32Array, up: Float32Array): { dGate: Float32Array; dUp: Float32Array } {
  const dGate = new Float32Array(gate.length)
  const dUp = new Float32Array(gate.length)
  for (let i = 0; i < gate.length; i++) {
    const sig = 1 / (1 + Math.exp(-gate[i]!))
    dUp[i] = da[i]! * gate[i]! * sig
    dGate[i] = da[i]! * up[i]! * sig * (1 + gate[i]! * (1 - sig))
  }
  return { dGate, dUp }
}

/** Mean cross-entropy over L positions; returns the loss sum and dlogits scaled by `weight`. */
export function crossEntropy(logits: Float32Array, targets: Int32Array, L: number, V: number, weight: number): { loss: number; dLogits: Float32Array } {
  const dLogits = new Float32Array(L * V)
  let loss = 0
  for (let l = 0; l < L; l++) {
    const row = logits.subarray(l * V, (l + 1) * V)
    let max = -Infinity
    for (let i = 0; i < V; i++) max = Math.max(max, row[i]!)
    let total = 0
    for (let i = 0; i < V; i++) total += Math.exp(row[i]! - max)
    const t = targets[l]!
    loss += Math.log(total) + max - row[t]!
    for (let i = 0; i < V; i++) dLogits[l * V + i] = (Math.exp(row[i]! - max) / total - (i === t ? 1 : 0)) * weight
  }
  return { loss, dLogits }
}
