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
