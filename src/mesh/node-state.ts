/**
 * The state this tab advertises in its presence (protocol.ts, NodeState):
 * what peers route by. Pure, so main.ts only wires it.
 *
 * `busy` means "do not expect this tab to take work now": a role is running
 * here (the work slot is taken), or the engine is generating for something
 * else, such as the node panel's try box. A tab whose engine is still
 * loading, has failed, or has no model says `joining`: it may become able to
 * work, but is not yet. (A try-box run used to say `joining`, which read as a
 * tab that had lost its model.)
 */
import { NodeState } from './protocol'

export interface NodeStateInput {
  /** The person paused donation on this tab. */
  readonly paused: boolean
  /** The tab's one work slot is free (no role running). */
  readonly slotFree: boolean
  /** The engine's state (src/inference/types.ts, EngineState). */
  readonly engineState: string
}

export function nodeStateOf({ paused, slotFree, engineState }: NodeStateInput): NodeState {
  if (paused) return NodeState.paused
  if (!slotFree || engineState === 'generating') return NodeState.busy
  return engineState === 'ready' ? NodeState.ready : NodeState.joining
}
