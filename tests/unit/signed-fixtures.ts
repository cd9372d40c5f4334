/**
 * Signed boards for tests: each writer is a node with a FAKE key
 * (fake-crypto.ts), so records are signed and verified exactly as in the app
 * at no cost, and node ids are derived from the keys as the board requires.
 */
import * as Y from 'yjs'
import { Board } from '../../src/board/board'
import { seededRandom, type Clock } from '../../src/clock'
import type { NodeIdentity } from '../../src/mesh/identity'
import type { NodeId } from '../../src/mesh/protocol'
import { EnvelopeVerifier } from '../../src/trust/envelope-verifier'
import { nodeIdFromKeyId, type Signer } from '../../src/trust/keys'
import type { VerifiedStore } from '../../src/trust/verified-store'
import { fakeSigner, fakeVerifier } from './fake-crypto'
import { clockAt } from './task-fixtures'

export const ROOM = 'test-room'

export interface TestNode {
  readonly id: NodeId
  readonly signer: Signer
  readonly me: NodeIdentity
}

export function testNode(seed: string): TestNode {
  const signer = fakeSigner(seed)
  const id = nodeIdFromKeyId(signer.keyId)
  return { id, signer, me: { id, name: `name-${seed}`, createdAt: 0 } }
}

export const [NA, NB, NC] = ['alpha', 'bravo', 'charlie'].map(testNode) as [TestNode, TestNode, TestNode]

export function signedBoard(
  node: TestNode | null,
  opts: { doc?: Y.Doc; clock?: Clock; seed?: number; store?: VerifiedStore | null; room?: string; verifier?: EnvelopeVerifier } = {},
): { doc: Y.Doc; board: Board } {
  const doc = opts.doc ?? new Y.Doc()
  const board = new Board({
    doc,
    room: opts.room ?? ROOM,
    clock: opts.clock ?? clockAt(1_700_000_000_000),
    random: seededRandom(opts.seed ?? 1),
    signer: node?.signer ?? null,
    verifier: opts.verifier ?? new EnvelopeVerifier(fakeVerifier),
    store: opts.store ?? null,
  })
  return { doc, board }
}

/** Lets signing, verification and repair (promises and microtasks) finish. */
export async function settled(...boards: Board[]): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await Promise.all(boards.map((b) => b.flushed()))
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** Two docs kept in sync both ways, like the mesh does. */
export function linkDocs(a: Y.Doc, b: Y.Doc): void {
  const FROM = Symbol('link')
  a.on('update', (u: Uint8Array, origin: unknown) => origin !== FROM && Y.applyUpdate(b, u, FROM))
  b.on('update', (u: Uint8Array, origin: unknown) => origin !== FROM && Y.applyUpdate(a, u, FROM))
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a), FROM)
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b), FROM)
}
