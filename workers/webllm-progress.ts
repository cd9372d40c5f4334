/**
 * Turns web-llm's InitProgressReport ({progress, timeElapsed, text}) into our
 * LoadProgress. web-llm reports bytes only inside the text ("Fetching param
 * cache[3/24]: 150MB fetched. 12% completed, …" while downloading, "Loading
 * model from cache[…]: 80MB loaded. …" when cached, then "Loading GPU shader
 * modules[…]"), so the phase and byte counts are parsed from it.
 */
import type { LoadProgress } from '../src/inference/types'

const MB = 1024 * 1024

export function toLoadProgress(report: { progress: number; text: string }, cachedAtStart: boolean): LoadProgress {
  const progress = Number.isFinite(report.progress) ? Math.min(1, Math.max(0, report.progress)) : 0
  const text = String(report.text ?? '')
  const phase: LoadProgress['phase'] = /^Fetching/i.test(text)
    ? 'downloading'
    : /Loading model from cache|Loading GPU shader|Finish loading/i.test(text) || cachedAtStart
      ? 'loading'
      : 'downloading'
  const bytes = /(\d+(?:\.\d+)?)\s*MB (?:fetched|loaded)/i.exec(text)
  if (!bytes?.[1]) return { progress, text, phase }
  const loadedBytes = Math.round(Number(bytes[1]) * MB)
  // Total is implied by the percentage; only trust it once some progress exists.
  return progress > 0.01 ? { progress, text, phase, loadedBytes, totalBytes: Math.round(loadedBytes / progress) } : { progress, text, phase, loadedBytes }
}
