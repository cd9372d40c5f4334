/**
 * Pure: a chat conversation → the task prompt that goes on the board.
 *
 * The board's prompt limit is MAX_PROMPT_LENGTH (4000) characters, and the
 * first line becomes the task's title in every tab. So the prompt is:
 *   1. the last user message, verbatim (it must fit, else 400);
 *   2. the system/developer instructions, if any (they must fit too);
 *   3. a compact transcript of the earlier turns, newest kept first: each
 *      turn clipped to TURN_CHARS, oldest turns dropped when out of room.
 */
import { MAX_PROMPT_LENGTH } from '../../src/board/dag-schema'
import { badRequest, type ChatMessage } from './openai-protocol'

const TURN_CHARS = 400
const LABEL: Record<ChatMessage['role'], string> = { system: 'System', developer: 'System', user: 'User', assistant: 'Assistant', tool: 'Tool' }

const clip = (s: string, max: number): string => {
  const flat = s.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

export function conversationToPrompt(messages: readonly ChatMessage[], limit = MAX_PROMPT_LENGTH): string {
  const last = messages[messages.length - 1]
  if (!last || last.role !== 'user') throw badRequest('The last message must be from the user: it is the task the swarm answers.', 'messages')
  const question = last.content.trim()
  if (question === '') throw badRequest('The last user message is empty.', 'messages')
  const instructions = messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => m.content.trim()).filter((s) => s !== '')
  let prompt = question
  if (instructions.length > 0) prompt += `\n\nInstructions: ${instructions.join('\n')}`
  if (prompt.length > limit) {
    throw badRequest(`The last user message and the system instructions come to ${prompt.length} characters; a swarm task takes at most ${limit}.`, 'messages', 'context_length_exceeded')
  }
  const earlier = messages.slice(0, -1).filter((m) => m.role !== 'system' && m.role !== 'developer' && m.content.trim() !== '')
  const header = '\n\nEarlier in this conversation:'
  const kept: string[] = []
  let room = limit - prompt.length - header.length
  for (let i = earlier.length - 1; i >= 0; i--) {
    const m = earlier[i]!
    const line = `\n${LABEL[m.role]}: ${clip(m.content, TURN_CHARS)}`
    if (line.length > room) break
    kept.unshift(line)
    room -= line.length
  }
  if (kept.length > 0) prompt += header + kept.join('')
  return prompt
}
