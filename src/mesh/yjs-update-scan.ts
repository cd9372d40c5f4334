/**
 * Bounded pre-scan of a Yjs v1 update, before Yjs decodes it (yjs#687).
 *
 * Yjs trusts the counts an update claims: `readClientsStructRefs` allocates
 * `new Array(numberOfStructs)` and loops that many times, and its v2 path
 * keeps reading run-length values after the input ends, so a few bytes can
 * claim 2^30 structs and spin or fill memory. This walker reads the same
 * format (yjs/src/utils/encoding.js, UpdateDecoderV1, Item.js contentRefs)
 * with every read bounds-checked and every claimed count bounded by the
 * bytes left: in v1 each struct, delete range, JSON string and `any` value
 * takes at least one byte, so an honest update never claims more items than
 * it has bytes. The work is linear in the input length; anything else is
 * rejected with a reason and never reaches Yjs.
 */
export interface ScanBudget {
  /** Upper bound on structs + delete ranges + content items in one update. */
  readonly maxItems: number
  /** Upper bound on a client's clock after the update (no honest client reaches 2^32 operations). */
  readonly maxClock: number
  /** Nesting of `any` values (objects/arrays inside ContentAny). */
  readonly maxAnyDepth: number
}

export const DEFAULT_SCAN_BUDGET: ScanBudget = { maxItems: 1_000_000, maxClock: 2 ** 32, maxAnyDepth: 32 }

export class ScanError extends Error {
  override readonly name = 'ScanError'
  /** 'budget': the input claims more work than its size allows (yjs#687); 'malformed': not a valid encoding. */
  constructor(
    message: string,
    readonly kind: 'budget' | 'malformed' = 'malformed',
  ) {
    super(message)
  }
}

/** A bounds-checked reader over lib0's varint encoding. */
export class Reader {
  pos = 0
  constructor(readonly bytes: Uint8Array) {}

  get left(): number {
    return this.bytes.length - this.pos
  }

  u8(): number {
    if (this.pos >= this.bytes.length) throw new ScanError('unexpected end of data')
    return this.bytes[this.pos++]!
  }

  varUint(): number {
    let num = 0
    let mult = 1
    for (;;) {
      const r = this.u8()
      num += (r & 0x7f) * mult
      if (r < 0x80) return num
      mult *= 128
      if (num > Number.MAX_SAFE_INTEGER || mult > 2 ** 56) throw new ScanError('integer out of range')
    }
  }

  varInt(): void {
    let r = this.u8()
    for (let n = 0; r & 0x80; n++) {
      if (n > 8) throw new ScanError('integer out of range')
      r = this.u8()
    }
  }

  /** A claimed count of things that each take at least `minBytes`. */
  count(minBytes: number, what: string): number {
    const n = this.varUint()
    if (n * minBytes > this.left) throw new ScanError(`claims ${n} ${what} in ${this.left} bytes`, 'budget')
    return n
  }

  skip(n: number): void {
    if (n > this.left) throw new ScanError(`claims ${n} bytes, ${this.left} left`)
    this.pos += n
  }

  /** varUint8Array / varString: returns the byte length. */
  blob(): number {
    const n = this.varUint()
    this.skip(n)
    return n
  }
}

export interface ScanResult {
  readonly structs: number
  readonly deletes: number
}

/** Throws ScanError when `update` is malformed or over budget; otherwise returns what it holds. */
export function scanUpdateV1(update: Uint8Array, budget: ScanBudget = DEFAULT_SCAN_BUDGET): ScanResult {
  const r = new Reader(update)
  let items = 0
  const spend = (n: number): void => {
    items += n
    if (items > budget.maxItems) throw new ScanError(`more than ${budget.maxItems} items`, 'budget')
  }
  let structs = 0
  const clients = r.count(3, 'clients')
  for (let c = 0; c < clients; c++) {
    const n = r.count(2, 'structs')
    spend(n)
    structs += n
    r.varUint() // client
    let clock = r.varUint()
    for (let i = 0; i < n; i++) {
      clock += scanStruct(r, budget, spend)
      if (clock > budget.maxClock) throw new ScanError(`clock beyond ${budget.maxClock}`, 'budget')
    }
  }
  let deletes = 0
  const dsClients = r.count(2, 'delete-set clients')
  for (let c = 0; c < dsClients; c++) {
    r.varUint() // client
    const n = r.count(2, 'deletes')
    spend(n)
    deletes += n
    for (let i = 0; i < n; i++) {
      const clock = r.varUint()
      const len = r.varUint()
      if (clock + len > budget.maxClock) throw new ScanError(`delete range beyond ${budget.maxClock}`, 'budget')
    }
  }
  if (r.left !== 0) throw new ScanError(`${r.left} trailing bytes`)
  return { structs, deletes }
}

/** One struct; returns its length in clock units (an upper bound for strings). */
function scanStruct(r: Reader, budget: ScanBudget, spend: (n: number) => void): number {
  const info = r.u8()
  const ref = info & 0x1f
  if (ref === 0 || ref === 10) return r.varUint() // GC or Skip: a length
  if (ref > 10) throw new ScanError(`unknown struct type ${ref}`)
  if (info & 0x80) (r.varUint(), r.varUint()) // origin id
  if (info & 0x40) (r.varUint(), r.varUint()) // right origin id
  if ((info & 0xc0) === 0) {
    if (r.varUint() === 1) r.blob() // parent is a root type, by name
    else (r.varUint(), r.varUint()) // parent is an item id
    if (info & 0x20) r.blob() // parentSub (map key)
  }
  switch (ref) {
    case 1: // ContentDeleted
      return r.varUint()
    case 2: {
      // ContentJSON: n JSON strings
      const n = r.count(1, 'JSON values')
      spend(n)
      for (let i = 0; i < n; i++) r.blob()
      return n
    }
    case 3: // ContentBinary
      r.blob()
      return 1
    case 4: // ContentString: its UTF-16 length is at most its UTF-8 length
      return Math.max(1, r.blob())
    case 5: // ContentEmbed (JSON string)
      r.blob()
      return 1
    case 6: // ContentFormat: key, JSON value
      r.blob()
      r.blob()
      return 1
    case 7: {
      // ContentType
      const typeRef = r.varUint()
      if (typeRef > 6) throw new ScanError(`unknown type ref ${typeRef}`)
      if (typeRef === 3 || typeRef === 5) r.blob() // YXmlElement / YXmlHook name
      return 1
    }
    case 8: {
      // ContentAny
      const n = r.count(1, 'values')
      spend(n)
      for (let i = 0; i < n; i++) scanAny(r, budget.maxAnyDepth, spend)
      return n
    }
    default: // 9: ContentDoc: guid, options
      r.blob()
      scanAny(r, budget.maxAnyDepth, spend)
      return 1
  }
}

/** lib0 `readAny`, bounded in depth and in claimed lengths. */
function scanAny(r: Reader, depth: number, spend: (n: number) => void): void {
  if (depth <= 0) throw new ScanError('values nested too deeply', 'budget')
  const type = r.u8()
  switch (type) {
    case 127: // undefined
    case 126: // null
    case 121: // false
    case 120: // true
      return
    case 125:
      r.varInt()
      return
    case 124:
      r.skip(4)
      return
    case 123:
    case 122:
      r.skip(8)
      return
    case 119: // string
    case 116: // Uint8Array
      r.blob()
      return
    case 118: {
      // object: n × (key, value)
      const n = r.count(2, 'object entries')
      spend(n)
      for (let i = 0; i < n; i++) {
        r.blob()
        scanAny(r, depth - 1, spend)
      }
      return
    }
    case 117: {
      const n = r.count(1, 'array values')
      spend(n)
      for (let i = 0; i < n; i++) scanAny(r, depth - 1, spend)
      return
    }
    default:
      throw new ScanError(`unknown value type ${type}`)
  }
}
