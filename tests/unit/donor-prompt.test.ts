/** Pure parts of the API: conversation → task prompt, and whether the room can run a task at all. */
import { describe, expect, it } from 'vitest'
import { roomCapacity } from '../../donor/api/capacity'
import { ApiError, type ChatMessage } from '../../donor/api/openai-protocol'
import { conversationToPrompt } from '../../donor/api/prompt'
import { BRIDGE_VERSION, type TabStatus } from '../../src/bridge/protocol'

const u = (content: string): ChatMessage => ({ role: 'user', content })
const a = (content: string): ChatMessage => ({ role: 'assistant', content })

function rejects(fn: () => unknown, code: string): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(400)
    expect((err as ApiError).code).toBe(code)
    return (err as ApiError).message
  }
  throw new Error('did not throw')
}

describe('conversationToPrompt', () => {
  it('uses a single user message verbatim (trimmed), so the board title is the question', () => {
    expect(conversationToPrompt([u('  Why is the sky blue?\n')])).toBe('Why is the sky blue?')
  })

  it('puts the question first, then system instructions, then a compact transcript of earlier turns', () => {
    const prompt = conversationToPrompt([{ role: 'system', content: 'Answer in French.' }, u('Name a planet.'), a('Mars.\n\nIt is red.'), u('How far is it?')])
    expect(prompt).toBe('How far is it?\n\nInstructions: Answer in French.\n\nEarlier in this conversation:\nUser: Name a planet.\nAssistant: Mars. It is red.')
  })

  it('clips long earlier turns and drops the oldest ones to stay within the limit', () => {
    const history = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? u(`question ${i} ${'q'.repeat(600)}`) : a(`answer ${i} ${'a'.repeat(600)}`)))
    const prompt = conversationToPrompt([...history, u('And now?')])
    expect(prompt.length).toBeLessThanOrEqual(4_000)
    expect(prompt.startsWith('And now?')).toBe(true)
    expect(prompt).toContain('answer 29')
    expect(prompt).not.toContain('question 0 ')
    for (const line of prompt.split('\n').filter((l) => l.startsWith('User:') || l.startsWith('Assistant:'))) expect(line.length).toBeLessThanOrEqual(412)
  })

  it('rejects a conversation that does not end with a user message, or ends with an empty one', () => {
    rejects(() => conversationToPrompt([u('hi'), a('hello')]), 'invalid_request')
    rejects(() => conversationToPrompt([u('   ')]), 'invalid_request')
    rejects(() => conversationToPrompt([]), 'invalid_request')
  })

  it('rejects a question (with its instructions) longer than the board takes', () => {
    expect(conversationToPrompt([u('x'.repeat(4_000))]).length).toBe(4_000)
    expect(rejects(() => conversationToPrompt([u('x'.repeat(4_001))]), 'context_length_exceeded')).toMatch(/4001 characters/)
    rejects(() => conversationToPrompt([{ role: 'system', content: 's'.repeat(3_990) }, u('question')]), 'context_length_exceeded')
  })
})

const tab = (p: Partial<TabStatus> = {}): TabStatus => ({
  v: BRIDGE_VERSION, type: 'status', room: 'r', nodeId: 'self', name: 'n', signaling: 'connected', peers: [], engine: 'sim', backend: 'sim', model: 'm', simulated: true,
  engineState: 'ready', tokensPerSec: 1, paused: false, busy: false, roles: ['planner', 'researcher', 'verifier', 'synthesizer'], tasksDone: 0, progress: null, lastError: null, ...p,
})
const peer = (id: string, roles: string[], state = 'ready', engineState = 'ready') => ({ id, state, engineState, roles, simulated: false })

describe('roomCapacity', () => {
  it('needs at least one donor tab', () => {
    expect(roomCapacity([], 'r')).toMatchObject({ ok: false, reason: expect.stringMatching(/No donor tab/) })
  })

  it('is ok with one ready tab that takes every role, busy or not', () => {
    expect(roomCapacity([tab()], 'r')).toEqual({ ok: true, nodes: 1 })
    expect(roomCapacity([tab({ busy: true, engineState: 'generating' })], 'r').ok).toBe(true)
  })

  it('counts the roles of ready peers the tabs see, so paused donors can still hand work to a person\'s tab', () => {
    const donor = tab({ paused: true, peers: [peer('p1', ['planner', 'synthesizer']), peer('p2', ['researcher'], 'busy', 'generating')] })
    expect(roomCapacity([donor], 'r')).toEqual({ ok: true, nodes: 2 })
  })

  it('ignores paused, joining and engine-less nodes', () => {
    const donor = tab({ engineState: 'downloading', peers: [peer('p1', ['planner', 'researcher', 'synthesizer'], 'paused'), peer('p2', ['planner', 'researcher', 'synthesizer'], 'joining', 'idle')] })
    expect(roomCapacity([donor], 'r')).toMatchObject({ ok: false, reason: expect.stringMatching(/downloading/) })
  })

  it('names the roles nobody takes; verifiers are optional', () => {
    expect(roomCapacity([tab({ roles: ['verifier', 'researcher'] })], 'r')).toMatchObject({ ok: false, reason: expect.stringMatching(/planner, synthesizer roles/) })
    expect(roomCapacity([tab({ roles: ['planner', 'researcher', 'synthesizer'] })], 'r').ok).toBe(true)
  })

  it('counts a node once however many tabs see it', () => {
    const p = peer('p1', ['planner'])
    expect(roomCapacity([tab({ nodeId: 't1', peers: [p] }), tab({ nodeId: 't2', peers: [p] })], 'r')).toEqual({ ok: true, nodes: 3 })
  })
})
