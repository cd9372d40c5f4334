/**
 * One namespaced logger per subsystem (`swarm:mesh`, `swarm:board`, ...).
 * Nothing else in the codebase calls console directly, so tests and the UI can
 * subscribe to the same stream (e.g. the e2e tests fail on `error` entries).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface LogEntry {
  readonly namespace: string
  readonly level: LogLevel
  readonly message: string
  readonly data?: unknown
  readonly time: number
}

type Sink = (entry: LogEntry) => void

const sinks = new Set<Sink>()
const levelRank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }
let minLevel: LogLevel = 'info'

export function setLogLevel(level: LogLevel): void {
  minLevel = level
}

/** Subscribe to every log entry; returns its own unsubscribe function. */
export function onLog(sink: Sink): () => void {
  sinks.add(sink)
  return () => sinks.delete(sink)
}

export interface Logger {
  debug(message: string, data?: unknown): void
  info(message: string, data?: unknown): void
  warn(message: string, data?: unknown): void
  error(message: string, data?: unknown): void
}

export function createLogger(subsystem: string): Logger {
  const namespace = `swarm:${subsystem}`
  const write = (level: LogLevel, message: string, data?: unknown): void => {
    const entry: LogEntry = { namespace, level, message, data, time: Date.now() }
    for (const sink of sinks) sink(entry)
    if (levelRank[level] < levelRank[minLevel]) return
    const line = `[${namespace}] ${message}`
    const args = data === undefined ? [line] : [line, data]
    // eslint-disable-next-line no-console
    ;(level === 'debug' ? console.debug : level === 'info' ? console.info : level === 'warn' ? console.warn : console.error)(...args)
  }
  return {
    debug: (m, d) => write('debug', m, d),
    info: (m, d) => write('info', m, d),
    warn: (m, d) => write('warn', m, d),
    error: (m, d) => write('error', m, d),
  }
}
