/**
 * The donor's live status on stdout: one line per tab (room, peers, engine,
 * model, tok/s, state, tasks done), with a progress bar while a model
 * downloads. On a terminal the lines are redrawn in place and log lines are
 * printed above them; otherwise (a pipe, a log file, systemd) a tab's line is
 * printed whenever something in it changes other than the tok/s figure.
 */
import type { SlotView } from './supervisor'

export function progressBar(fraction: number, width = 20): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0))
  const full = Math.round(f * width)
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.floor(f * 100)).padStart(3)}%`
}

const size = (b: number): string => (b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(1)} GB` : b >= 1024 ** 2 ? `${Math.round(b / 1024 ** 2)} MB` : `${Math.round(b / 1024)} kB`)

/** The parts of a tab's line; `key` leaves out what changes all the time (tok/s). */
function parts(v: SlotView): { text: string; key: string } {
  const label = `tab ${v.index + 1}`
  if (v.state === 'restarting' || v.state === 'starting' || v.state === 'stopped' || !v.status) {
    const what = v.state === 'up' ? 'waiting for the page' : v.state
    const text = `${label}  ${what}${v.note ? `: ${v.note}` : ''}`
    return { text, key: text }
  }
  const s = v.status
  const model = s.model ?? '(no model)'
  const engine = `${s.engine}${s.simulated ? ' (SIMULATED)' : ''}${s.backend && s.backend !== 'none' ? `/${s.backend}` : ''}`
  const state = s.paused ? 'paused' : s.busy ? 'working' : s.engineState
  const base = `${label}  room ${s.room}  peers ${s.peers.length}  ${engine}  ${model}`
  let tail = `${state}  tasks ${s.tasksDone}`
  let keyTail = tail
  if (s.progress && (s.engineState === 'downloading' || s.engineState === 'loading')) {
    const bytes = s.progress.totalBytes ? `  ${size(s.progress.loadedBytes ?? 0)}/${size(s.progress.totalBytes)}` : ''
    tail += `  ${progressBar(s.progress.fraction)}${bytes}`
    keyTail += ` ${Math.floor(s.progress.fraction * 10)}`
  }
  if (s.lastError && s.engineState === 'error') tail += `  error: ${s.lastError.slice(0, 120)}`
  const tps = s.tokensPerSec !== null ? `${s.tokensPerSec.toFixed(1)} tok/s` : '- tok/s'
  return { text: `${base}  ${tps}  ${tail}`, key: `${base}  ${keyTail}  ${s.lastError ?? ''}` }
}

export function formatTabLine(v: SlotView): string {
  return parts(v).text
}

export interface Output {
  readonly isTTY?: boolean
  readonly columns?: number
  write(text: string): unknown
}

export class StatusDisplay {
  private lines: string[] = []
  private readonly printedKeys = new Map<number, string>()
  private drawn = 0
  private finished = false

  constructor(private readonly out: Output) {}

  /** Called with every slot on any change. */
  update(views: readonly SlotView[]): void {
    if (this.finished) return
    if (this.out.isTTY) {
      this.lines = views.map(formatTabLine)
      this.redraw()
      return
    }
    for (const v of views) {
      const { text, key } = parts(v)
      if (this.printedKeys.get(v.index) === key) continue
      this.printedKeys.set(v.index, key)
      this.out.write(`${text}\n`)
    }
  }

  /** A log line, printed above the live block on a terminal. */
  log(line: string): void {
    if (!this.out.isTTY || this.finished) return void this.out.write(`${line}\n`)
    this.clear()
    this.out.write(`${line}\n`)
    this.draw()
  }

  /** Leaves the last state on screen; later logs print below it and updates are ignored. */
  finish(): void {
    this.finished = true
    this.drawn = 0
  }

  private redraw(): void {
    this.clear()
    this.draw()
  }

  private clear(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\x1b[J`)
    this.drawn = 0
  }

  private draw(): void {
    const width = Math.max(20, (this.out.columns || 120) - 1) // a pty without a size reports 0
    for (const line of this.lines) this.out.write(`${line.length > width ? `${line.slice(0, width - 1)}…` : line}\n`)
    this.drawn = this.lines.length
  }
}
