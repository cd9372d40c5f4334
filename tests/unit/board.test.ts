import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Board, BoardInputError } from '../../src/board/board'
import { MAX_PROMPT_LENGTH, TASKS_KEY } from '../../src/board/schema'
import { seededRandom, type Clock } from '../../src/clock'
import type { NodeIdentity } from '../../src/mesh/identity'

const author = { id: 'node0000001', name: 'amber-otter', createdAt: 0 } as unknown as NodeIdentity
const clockAt = (t: number): Clock => ({ now: () => t, setTimeout: () => () => {} })

function sync(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b))
}

describe('Board', () => {
  it('adds tasks that other replicas see in the same order', () => {
    const docA = new Y.Doc()
    const docB = new Y.Doc()
    const a = new Board(docA, clockAt(100), seededRandom(1))
    const b = new Board(docB, clockAt(100), seededRandom(2))
    a.addTask('first', author)
    b.addTask('second', author)
    sync(docA, docB)
    expect(a.tasks().map((t) => t.prompt)).toEqual(b.tasks().map((t) => t.prompt))
    expect(a.tasks()).toHaveLength(2)
  })

  it('rejects empty and oversized prompts with a message for a person', () => {
    const board = new Board(new Y.Doc(), clockAt(1), seededRandom(1))
    expect(() => board.addTask('   ', author)).toThrow(BoardInputError)
    expect(() => board.addTask('x'.repeat(MAX_PROMPT_LENGTH + 1), author)).toThrow(/limit is/)
    expect(board.tasks()).toEqual([])
  })

  it('ignores malformed entries written by a hostile peer, without throwing', () => {
    const doc = new Y.Doc()
    const board = new Board(doc, clockAt(1), seededRandom(1))
    board.addTask('real task', author)
    const tasks = doc.getMap(TASKS_KEY)
    tasks.set('garbage-entry-1', 42)
    tasks.set('garbage-entry-2', { v: 1, id: 'other-id-000', prompt: 'x' })
    const forged = new Y.Map<unknown>()
    forged.set('v', 1)
    forged.set('id', 'forged-entry-3')
    forged.set('prompt', 'p')
    forged.set('status', 'exploded')
    tasks.set('forged-entry-3', forged)
    expect(board.tasks().map((t) => t.prompt)).toEqual(['real task'])
  })

  it('tells observers whether a change was local', () => {
    const docA = new Y.Doc()
    const docB = new Y.Doc()
    const a = new Board(docA, clockAt(1), seededRandom(1))
    const b = new Board(docB, clockAt(1), seededRandom(2))
    const seen: boolean[] = []
    b.onChange((local) => seen.push(local))
    b.addTask('mine', author)
    a.addTask('theirs', author)
    Y.applyUpdate(docB, Y.encodeStateAsUpdate(docA))
    expect(seen).toEqual([true, false])
  })
})
