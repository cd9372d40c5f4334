/**
 * Seeded randomness for the fixture's weights and training batches. Integer
 * arithmetic only (mulberry32) and an Irwin–Hall normal (sum of 12 uniforms)
 * instead of Box–Muller, so no libm function decides the bytes: the same seed
 * gives the same model on every machine and Node version.
 */
export class Prng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Approximately standard normal (variance exactly 1, tails cut at ±6). */
  normal(): number {
    let s = 0
    for (let i = 0; i < 12; i++) s += this.next()
    return s - 6
  }

  /** Fills a new array with normal values times `std`. */
  normals(length: number, std: number): Float32Array {
    const out = new Float32Array(length)
    for (let i = 0; i < length; i++) out[i] = this.normal() * std
    return out
  }
}
