/** Test-only fakes for the donor: a manual clock, and status builders. */
import { BRIDGE_VERSION, type TabStatus } from '../../src/bridge/protocol'
import type { Clock } from '../../src/clock'

/** A clock that moves only when the test says so; timers fire in order during advance(). */
export class ManualClock implements Clock {
  private t = 1_700_000_000_000
  private timers: { at: number; fn: () => void; live: boolean }[] = []
  now = (): number => this.t
  setTimeout = (fn: () => void, ms: number): (() => void) => {
    const timer = { at: this.t + ms, fn, live: true }
    this.timers.push(timer)
    return () => void (timer.live = false)
  }
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      const next = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0]
      if (!next) break
      this.t = next.at
      next.live = false
      next.fn()
    }
    this.t = end
  }
  pending(): number {
    return this.timers.filter((x) => x.live).length
  }
}

export const readyTab = (p: Partial<TabStatus> = {}): TabStatus => ({
  v: BRIDGE_VERSION, type: 'status', room: 'r1', nodeId: 'n1', name: 'amber-otter', signaling: 'connected', peers: [],
  engine: 'sim', backend: 'sim', model: 'sim-fast', simulated: true, engineState: 'ready', tokensPerSec: 200, paused: false, busy: false,
  roles: ['planner', 'researcher', 'verifier', 'synthesizer'], tasksDone: 0, progress: null, lastError: null, ...p,
})
