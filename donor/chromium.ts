/**
 * Chromium for donor tabs: which flags, and finding the browser process of a
 * profile (for the status line, logs, and tests that kill it on purpose).
 */
import { readdirSync, readFileSync } from 'node:fs'

/** As in tests/e2e/harness.ts: quiet, no first-run UI, no QUIC, and host candidates for WebRTC between local processes. */
export const BASE_FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  // A headless donor is never "visible": don't let Chromium throttle its timers and workers.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
]

/**
 * WebGPU on a server with a real GPU (Linux): headless Chromium only exposes
 * WebGPU through Vulkan with these (Chrome's guidance for headless WebGPU).
 * Extra flags (e.g. `--use-webgpu-adapter=swiftshader`, for tests on a machine
 * without a GPU) come from DONOR_CHROMIUM_FLAGS.
 */
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=vulkan', '--disable-vulkan-surface']

export function chromiumFlags(webgpu: boolean, extra: string | undefined): string[] {
  return [...BASE_FLAGS, ...(webgpu ? WEBGPU_FLAGS : []), ...(extra?.split(/\s+/).filter((f) => f !== '') ?? [])]
}

/** The main browser process using this profile (not its renderers/GPU helpers, which carry --type=), or null. */
export function browserPid(profileDir: string, procDir = '/proc'): number | null {
  let entries: string[]
  try {
    entries = readdirSync(procDir)
  } catch {
    return null
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    let args: string[]
    try {
      args = readFileSync(`${procDir}/${entry}/cmdline`, 'utf8').split('\0')
    } catch {
      continue // exited meanwhile, or not ours to read
    }
    if (args.includes(`--user-data-dir=${profileDir}`) && !args.some((a) => a.startsWith('--type='))) return Number(entry)
  }
  return null
}
