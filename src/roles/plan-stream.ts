/**
 * The planner's reply, read while it streams: each step object of the
 * top-level `"steps"` array is handed over the moment its closing brace
 * arrives, so the scheduler can publish it and researchers start step 1
 * while the model still writes step 5.
 *
 * `StepScanner` is a character-level JSON scanner (strings, escapes,
 * nesting) whose state survives between chunks, so any split of the text
 * gives the same steps. Prose before the first `{` is skipped, as
 * `extractJson` does. `PlanStream` checks each step with the same rules as a
 * whole plan (parseStep) plus the streaming ones: at most MAX_STEPS, and
 * dependencies only on steps already published (a forward reference can't be
 * published: the step it needs may never come). The first step that breaks a
 * rule ends the stream; the steps before it are the valid prefix.
 */
import { MAX_STEPS, MIN_STEPS, parseStep, type Plan, type PlanStep } from './plan'

/** Raw (unvalidated) elements of the top-level "steps" array, as they complete. */
export class StepScanner {
  private text = ''
  private pos = 0
  private started = false
  private depth = 0
  private inString = false
  private escape = false
  private stringStart = 0
  private lastKey: string | null = null
  private key: string | null = null
  private inSteps = false
  private elementStart = -1
  /** Why scanning stopped early (a non-object element, malformed element JSON). */
  broken: string | null = null
  /** The steps array (or the whole object) has closed: nothing more will come. */
  finished = false
  private count = 0

  push(chunk: string): unknown[] {
    this.text += chunk
    const out: unknown[] = []
    while (this.pos < this.text.length && !this.broken && !this.finished) {
      const i = this.pos++
      const c = this.text.charAt(i)
      if (!this.started) {
        if (c === '{') {
          this.started = true
          this.depth = 1
        }
        continue
      }
      if (this.inString) {
        if (this.escape) this.escape = false
        else if (c === '\\') this.escape = true
        else if (c === '"') {
          this.inString = false
          if (this.depth === 1) this.lastKey = safeParse(this.text.slice(this.stringStart, i + 1)) as string | null
        }
        continue
      }
      if (c === '"') {
        if (this.inSteps && this.depth === 2) this.broken = `step ${this.count + 1} is not an object`
        this.inString = true
        this.stringStart = i
      } else if (c === ':' && this.depth === 1) this.key = this.lastKey
      else if (c === ',' && this.depth === 1) this.key = null
      else if (c === '{' || c === '[') {
        this.depth++
        if (this.depth === 2 && c === '[' && this.key === 'steps') this.inSteps = true
        else if (this.inSteps && this.depth === 3) {
          if (c === '[') this.broken = `step ${this.count + 1} is not an object`
          this.elementStart = i
        }
      } else if (c === '}' || c === ']') {
        if (this.inSteps && this.depth === 3 && this.elementStart >= 0) {
          const raw = safeParse(this.text.slice(this.elementStart, i + 1))
          this.count++
          this.elementStart = -1
          if (raw === undefined) this.broken = `step ${this.count} is not valid JSON`
          else out.push(raw)
        }
        this.depth--
        if (this.inSteps && this.depth === 1) {
          this.inSteps = false
          this.finished = true
        }
        if (this.depth <= 0) this.finished = true
      } else if (this.inSteps && this.depth === 2 && !/[\s,]/.test(c)) this.broken = `step ${this.count + 1} is not an object`
    }
    return out
  }
}

function safeParse(json: string): unknown {
  try {
    return JSON.parse(json) as unknown
  } catch {
    return undefined
  }
}

export interface StreamedStep {
  /** 0-based position in the plan. */
  readonly index: number
  readonly step: PlanStep
}

/** The valid prefix of a streaming plan. */
export class PlanStream {
  private readonly scanner = new StepScanner()
  readonly steps: PlanStep[] = []
  /** Why the stream stopped before its end, for the result's note; null while it is fine. */
  stopReason: string | null = null

  /** Feeds the next piece of the reply; returns the steps that just became complete and valid. */
  push(delta: string): StreamedStep[] {
    if (this.stopReason) return []
    const out: StreamedStep[] = []
    for (const raw of this.scanner.push(delta)) {
      const index = this.steps.length
      const parsed = parseStep(raw, index)
      if (!parsed.ok) return this.stop(parsed.reason, out)
      if (index >= MAX_STEPS) return this.stop(`a plan has at most ${MAX_STEPS} steps`, out)
      const bad = parsed.value.dependsOn.find((d) => d < 1 || d > index)
      if (bad !== undefined) return this.stop(bad === index + 1 ? `step ${index + 1} depends on itself` : `step ${index + 1} depends on step ${bad}, which does not come before it`, out)
      this.steps.push(parsed.value)
      out.push({ index, step: parsed.value })
    }
    if (this.scanner.broken) this.stopReason = this.scanner.broken
    return out
  }

  private stop(reason: string, out: StreamedStep[]): StreamedStep[] {
    this.stopReason = reason
    return out
  }
}

/**
 * The plan a stream that already published `steps` commits to: exactly those
 * steps, in order (they are on the board), completed by a step answering the
 * whole task when fewer than MIN_STEPS made it.
 */
export function planFromPrefix(steps: readonly PlanStep[], task: string): Plan {
  const out = [...steps]
  while (out.length < MIN_STEPS) out.push({ title: 'Answer the task', instructions: task.slice(0, 400), dependsOn: out.map((_, i) => i + 1) })
  return { steps: out }
}

export function samePlan(a: Plan, b: readonly PlanStep[]): boolean {
  return a.steps.length === b.length && a.steps.every((s, i) => JSON.stringify(s) === JSON.stringify(b[i]))
}
