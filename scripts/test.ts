/**
 * `npm test`: unit + simulation tests (vitest), then real-browser tests
 * (Playwright), then one closing line `N passed, N failed, N skipped` over
 * both, which is what CI reads. Extra arguments go to both runners' filters
 * is not supported on purpose: use `npm run test:unit -- x` / `npm run test:e2e -- x`.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'

const reportDir = '.cache/test-reports'
rmSync(reportDir, { recursive: true, force: true })
mkdirSync(reportDir, { recursive: true })

function run(cmd: string, args: string[], env: Record<string, string> = {}): number {
  const out = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } })
  return out.status ?? 1
}

const unitStatus = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportDir}/unit.json`])
const e2eStatus = run('npx', ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: `${reportDir}/e2e.json` })

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  } catch {
    return null
  }
}

const unit = readJson(`${reportDir}/unit.json`)
const e2e = readJson(`${reportDir}/e2e.json`)?.stats as Record<string, number> | undefined
const num = (v: unknown): number => (typeof v === 'number' ? v : 0)
const passed = num(unit?.numPassedTests) + num(e2e?.expected) + num(e2e?.flaky)
// A runner that failed without a failing test (a crash, no report, an unhandled error) counts as
// one failure, so the closing line never claims success for a red run.
const unitFailed = num(unit?.numFailedTests)
const e2eFailed = num(e2e?.unexpected)
const failed = unitFailed + e2eFailed + (unitStatus !== 0 && unitFailed === 0 ? 1 : 0) + (e2eStatus !== 0 && e2eFailed === 0 ? 1 : 0)
const skipped = num(unit?.numPendingTests) + num(unit?.numTodoTests) + num(e2e?.skipped)

process.stdout.write(`\nunit: exit ${unitStatus}; e2e: exit ${e2eStatus}\n`)
process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`)
process.exit(unitStatus === 0 && e2eStatus === 0 && failed === 0 ? 0 : 1)
