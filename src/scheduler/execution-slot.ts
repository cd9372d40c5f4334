/**
 * One engine, one run at a time: the shared and the private board each have
 * a scheduler, and both draw from this slot. Subscribers learn when the node
 * becomes busy or idle (presence publishes it so peers route around us).
 */
export class ExecutionSlot {
  private holder: string | null = null
  private readonly listeners = new Set<(busy: boolean) => void>()

  isFree(): boolean {
    return this.holder === null
  }

  take(what: string): boolean {
    if (this.holder !== null) return false
    this.holder = what
    for (const l of this.listeners) l(true)
    return true
  }

  release(): void {
    if (this.holder === null) return
    this.holder = null
    for (const l of this.listeners) l(false)
  }

  onChange(listener: (busy: boolean) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}

/**
 * Load as peers see it: the share of the last minute this node spent busy.
 * Ranking prefers less loaded nodes, so work spreads over the swarm instead
 * of landing on whichever idle node hashes best.
 */
export class BusyMeter {
  private busySince: number | null = null
  private spans: { start: number; end: number }[] = []

  constructor(
    private readonly now: () => number,
    private readonly windowMs = 60_000,
  ) {}

  set(busy: boolean): void {
    const t = this.now()
    if (busy && this.busySince === null) this.busySince = t
    if (!busy && this.busySince !== null) {
      this.spans.push({ start: this.busySince, end: t })
      this.busySince = null
    }
  }

  /** 0..1, rounded to 2 decimals so small differences don't churn presence. */
  load(): number {
    const t = this.now()
    const from = t - this.windowMs
    this.spans = this.spans.filter((s) => s.end > from)
    let busy = this.busySince !== null ? t - Math.max(this.busySince, from) : 0
    for (const s of this.spans) busy += s.end - Math.max(s.start, from)
    return Math.round(Math.min(1, busy / this.windowMs) * 100) / 100
  }
}
