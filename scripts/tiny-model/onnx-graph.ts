/**
 * Builds an ONNX ModelProto (onnx.proto field numbers) from nodes and
 * initializers. `llama-graph.ts` is the only caller; it describes the network,
 * this file knows the file format. Kept format-only so a graph mistake and a
 * serialisation mistake show up as different test failures.
 */
import { ProtoWriter, leBytes } from './protobuf'

/** onnx.TensorProto.DataType values used by the fixture. */
export const DType = { FLOAT: 1, UINT8: 2, INT64: 7, BOOL: 9 } as const
export type DType = (typeof DType)[keyof typeof DType]

/** A dimension is a fixed size or a symbolic name (e.g. `batch_size`). */
export type Dim = number | string

export type Attr =
  | { name: string; i: number }
  | { name: string; f: number }
  | { name: string; ints: number[] }

// onnx.AttributeProto.AttributeType
const ATTR_FLOAT = 1
const ATTR_INT = 2
const ATTR_INTS = 7

interface ValueInfo {
  name: string
  type: DType
  dims: Dim[]
}

export class GraphBuilder {
  private readonly nodes: ProtoWriter[] = []
  private readonly inits: ProtoWriter[] = []
  private readonly inputs: ValueInfo[] = []
  private readonly outputs: ValueInfo[] = []
  private counter = 0

  /** Fresh, deterministic tensor name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`
  }

  input(name: string, type: DType, dims: Dim[]): string {
    this.inputs.push({ name, type, dims })
    return name
  }

  output(name: string, type: DType, dims: Dim[]): void {
    this.outputs.push({ name, type, dims })
  }

  /**
   * Adds a node and returns its output names. `outputs` may name them (graph
   * outputs such as `present.0.key`); otherwise they are generated.
   */
  node(op: string, inputs: string[], opts: { attrs?: Attr[]; domain?: string; outputs?: string[] } = {}): string[] {
    const outs = opts.outputs ?? [this.fresh(op.toLowerCase())]
    const n = new ProtoWriter()
    for (const i of inputs) n.string(1, i)
    for (const o of outs) n.string(2, o)
    n.string(3, this.fresh(`n_${op}`)).string(4, op)
    for (const a of opts.attrs ?? []) n.message(5, encodeAttr(a))
    if (opts.domain) n.string(7, opts.domain)
    this.nodes.push(n)
    return outs
  }

  /** Single-output convenience wrapper around `node`. */
  op(op: string, inputs: string[], attrs: Attr[] = [], domain?: string): string {
    return this.node(op, inputs, { attrs, domain })[0]!
  }

  initializer(name: string, type: DType, dims: number[], data: Float32Array | BigInt64Array | Uint8Array): string {
    const t = new ProtoWriter()
    for (const d of dims) t.varint(1, d)
    t.varint(2, type).string(8, name).bytes(9, leBytes(data))
    this.inits.push(t)
    return name
  }

  constF32(values: number[] | Float32Array, dims: number[] = [values.length]): string {
    return this.initializer(this.fresh('c_f32'), DType.FLOAT, dims, Float32Array.from(values))
  }

  constI64(values: number[], dims: number[] = [values.length]): string {
    return this.initializer(this.fresh('c_i64'), DType.INT64, dims, BigInt64Array.from(values.map(BigInt)))
  }

  /** Serialises the whole model. opset 17 keeps ReduceMean's `axes` an attribute. */
  finish(graphName: string, producer: string): Uint8Array {
    const g = new ProtoWriter()
    for (const n of this.nodes) g.message(1, n)
    g.string(2, graphName)
    for (const t of this.inits) g.message(5, t)
    for (const v of this.inputs) g.message(11, encodeValueInfo(v))
    for (const v of this.outputs) g.message(12, encodeValueInfo(v))
    const m = new ProtoWriter()
    m.varint(1, 8) // ir_version 8 ↔ opset 17
    m.string(2, producer)
    m.message(7, g)
    m.message(8, new ProtoWriter().string(1, '').varint(2, 17))
    m.message(8, new ProtoWriter().string(1, 'com.microsoft').varint(2, 1))
    return m.finish()
  }
}

function encodeAttr(a: Attr): ProtoWriter {
  const w = new ProtoWriter().string(1, a.name)
  if ('i' in a) return w.varint(3, a.i).varint(20, ATTR_INT)
  if ('f' in a) return w.float(2, a.f).varint(20, ATTR_FLOAT)
  for (const v of a.ints) w.varint(8, v)
  return w.varint(20, ATTR_INTS)
}

function encodeValueInfo(v: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter()
  for (const d of v.dims) {
    const dim = new ProtoWriter()
    if (typeof d === 'number') dim.varint(1, d)
    else dim.string(2, d)
    shape.message(1, dim)
  }
  const tensorType = new ProtoWriter().varint(1, v.type).message(2, shape)
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType))
}
