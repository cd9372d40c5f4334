/**
 * One donor tab: a headless Chromium with its own persistent profile, on the
 * app's page with `?donor=1`. It is a node like any person's tab; this class
 * only drives the page's bridge (src/bridge) and validates what it pushes.
 *
 * Page calls are string expressions with JSON-encoded arguments: this file
 * runs under tsx, whose keep-names transform would otherwise inject a
 * `__name` helper the page doesn't have.
 */
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { BRIDGE_GLOBAL, EMIT_BINDING, parseBridgeEvent, parseSubmitReply, type SubmitReply, type TabStatus, type TaskView } from '../src/bridge/protocol'
import { createLogger } from '../src/log'
import { browserPid } from './chromium'

const log = createLogger('donor')
const BRIDGE_WAIT_MS = 90_000
/** The page throttles itself (status 4/s, each watched task 10/s); a tight loop sends far more than this. */
const MAX_EVENTS_PER_SECOND = 2_000

export interface TabConfig {
  readonly url: string
  readonly profileDir: string
  readonly chromium: string
  readonly flags: readonly string[]
  readonly roles?: readonly string[]
}

export interface TabEvents {
  onStatus(status: TabStatus): void
  onTask(view: TaskView): void
  /** The browser went away without close() being called (crash, kill, page crash). */
  onExit(reason: string): void
}

export class DonorTab {
  private context: BrowserContext | null = null
  private launching: Promise<BrowserContext> | null = null
  private page: Page | null = null
  private closing = false
  private exited = false
  private invalidReported = 0
  private pidCache: number | null = null
  private windowStart = 0
  private windowCount = 0

  constructor(
    readonly label: string,
    private readonly cfg: TabConfig,
    private readonly events: TabEvents,
  ) {}

  /** Launches the browser and waits until the page's bridge is up. Throws if it can't. */
  async open(): Promise<void> {
    this.launching = chromium.launchPersistentContext(this.cfg.profileDir, {
      executablePath: this.cfg.chromium,
      headless: true,
      args: [...this.cfg.flags],
      viewport: { width: 1280, height: 860 },
      // The donor stops its browsers itself (Supervisor.stop) on SIGINT/SIGTERM/SIGHUP.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    })
    const context = await this.launching
    this.context = context
    if (this.closing) {
      await context.close().catch(() => {})
      throw new Error(`${this.label} was stopped while starting`)
    }
    context.on('close', () => this.exit('the browser closed'))
    await context.exposeBinding(EMIT_BINDING, (_source, raw: unknown) => this.receive(raw))
    const page = context.pages()[0] ?? (await context.newPage())
    this.page = page
    page.on('crash', () => {
      this.exit('the page crashed')
      void context.close().catch(() => {})
    })
    page.on('pageerror', (err) => log.warn(`${this.label}: page error: ${err.message.slice(0, 300)}`))
    await page.goto(this.cfg.url)
    await page.waitForFunction(`typeof window.${BRIDGE_GLOBAL} === 'object'`, undefined, { timeout: BRIDGE_WAIT_MS })
    if (this.cfg.roles) {
      const ok = await page.evaluate(`window.${BRIDGE_GLOBAL}.configure(${JSON.stringify({ roles: this.cfg.roles })})`)
      if (ok !== true) throw new Error(`the page refused the roles ${this.cfg.roles.join(',')}`)
    }
    this.pidCache = browserPid(this.cfg.profileDir)
    // Ask once: the push may have raced the binding.
    this.receive(await page.evaluate(`window.${BRIDGE_GLOBAL}.status()`))
  }

  pid(): number | null {
    return this.pidCache
  }

  async submit(prompt: string): Promise<SubmitReply> {
    const raw = await this.requirePage().evaluate(`window.${BRIDGE_GLOBAL}.submit(${JSON.stringify(prompt)})`)
    const parsed = parseSubmitReply(raw)
    if (!parsed.ok) throw new Error(`${this.label}: invalid submit reply from the page: ${parsed.reason}`)
    return parsed.value
  }

  async watch(taskId: string): Promise<void> {
    await this.requirePage().evaluate(`window.${BRIDGE_GLOBAL}.watch(${JSON.stringify(taskId)})`)
  }

  async unwatch(taskId: string): Promise<void> {
    await this.page?.evaluate(`window.${BRIDGE_GLOBAL}.unwatch(${JSON.stringify(taskId)})`).catch(() => {})
  }

  /** Stops the browser on purpose (no onExit). */
  async close(): Promise<void> {
    this.closing = true
    // A browser still being launched is closed once it is there, so none outlives the donor.
    const context = this.context ?? (await this.launching?.catch(() => null)) ?? null
    await context?.close().catch(() => {})
    this.context = null
    this.page = null
  }

  private requirePage(): Page {
    if (!this.page || this.exited) throw new Error(`${this.label} is not running`)
    return this.page
  }

  private exit(reason: string): void {
    if (this.closing || this.exited) return
    this.exited = true
    this.page = null
    this.events.onExit(reason)
  }

  private receive(raw: unknown): void {
    const now = Date.now()
    if (now - this.windowStart >= 1_000) {
      this.windowStart = now
      this.windowCount = 0
    }
    if (++this.windowCount > MAX_EVENTS_PER_SECOND) {
      if (this.windowCount === MAX_EVENTS_PER_SECOND + 1) log.warn(`${this.label}: the page sends more than ${MAX_EVENTS_PER_SECOND} events/s; dropping the rest of this second`)
      return
    }
    const parsed = parseBridgeEvent(raw)
    if (!parsed.ok) {
      if (this.invalidReported++ < 5) log.warn(`${this.label}: dropped an invalid bridge event: ${parsed.reason}`)
      return
    }
    if (parsed.value.type === 'status') this.events.onStatus(parsed.value)
    else this.events.onTask(parsed.value)
  }
}
