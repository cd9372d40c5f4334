/**
 * A minimal protobuf *writer*: just the wire types ONNX needs (varint, fixed32,
 * length-delimited). We write ONNX files by hand instead of pulling in
 * `onnx-proto` (which drags protobufjs 6) because the fixture must build offline
 * on first server start with no extra dependency, and byte-for-byte
 * deterministically: fields are emitted exactly in the order the caller writes
 * them, so the same inputs always give the same bytes.
 */

const WIRE_VARINT = 0
const WIRE_LEN = 2
const WIRE_FIXED32 = 5

/** Growable byte buffer that messages are serialised into. */
export class ProtoWriter {
  private buf = new Uint8Array(256)
  private len = 0

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.len + extra) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
  }

  private byte(b: number): void {
    this.ensure(1)
    this.buf[this.len++] = b
  }

  /**
   * Unsigned/two's-complement varint. Negative int64 values (e.g. `axes=[-1]`)
   * take the full 10 bytes, as protobuf specifies for int64, hence BigInt.
   */
  private rawVarint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value))
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80)
      v >>= 7n
    }
    this.byte(Number(v))
  }

  private tag(field: number, wire: number): void {
    this.rawVarint((field << 3) | wire)
  }

  /** int32 / int64 / enum / bool field. */
  varint(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT)
    this.rawVarint(value)
    return this
  }

  /** `float` field (fixed32, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32)
    this.ensure(4)
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, value, true)
    this.len += 4
    return this
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LEN)
    this.rawVarint(data.length)
    this.ensure(data.length)
    this.buf.set(data, this.len)
    this.len += data.length
    return this
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value))
  }

  /** Embedded message, already serialised by another writer. */
  message(field: number, msg: ProtoWriter): this {
    return this.bytes(field, msg.finish())
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len)
  }
}

/** Little-endian bytes of typed-array contents, as ONNX `raw_data` requires. */
export function leBytes(data: Float32Array | BigInt64Array | Int32Array | Uint8Array): Uint8Array {
  if (data instanceof Uint8Array) return data.slice()
  const out = new Uint8Array(data.length * data.BYTES_PER_ELEMENT)
  const view = new DataView(out.buffer)
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(i * 4, data[i]!, true)
    else if (data instanceof Int32Array) view.setInt32(i * 4, data[i]!, true)
    else view.setBigInt64(i * 8, data[i]!, true)
  }
  return out
}
