/**
 * What the API needs from the swarm: the donor's tabs as seen through their
 * bridges. The real implementation is the Supervisor (donor/supervisor.ts);
 * unit tests drive the API with a fake one.
 */
import type { SubmitReply, TabStatus, TaskView } from '../../src/bridge/protocol'

export interface SwarmGateway {
  readonly room: string
  /** Latest validated status of every tab whose page is up. */
  statuses(): readonly TabStatus[]
  /** Puts a task on the room's board through one of the tabs, as a person would. */
  submit(prompt: string): Promise<SubmitReply>
  /** Pushes every new view of the task (from whichever tab is up) until unsubscribed. */
  watch(taskId: string, listener: (view: TaskView) => void): () => void
}
