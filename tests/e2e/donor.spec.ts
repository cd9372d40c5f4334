/**
 * `npm run donor` end to end: donor tabs (headless Chromium child processes
 * of the donor CLI) join a room that a person's tab is in; the official
 * `openai` client talks to the swarm API; a killed donor browser comes back
 * by itself with the same identity; SIGTERM stops every browser; bad input
 * ends with one line and a non-zero exit.
 */
import { test, expect } from '@playwright/test'
import OpenAI from 'openai'
import path from 'node:path'
import { browserPid } from '../../donor/chromium'
import { closeAll, expectPeerCount, launchPeer, startServer, uniqueRoom, type Peer } from './harness'
import { runDonor, type DonorProcess } from './donor-process'
import type { SwarmServer } from '../../signaling-server/server'

const peerIds = (peer: Peer): Promise<string[]> =>
  peer.page.getByTestId('peer').evaluateAll((els) => els.map((e) => e.getAttribute('data-peer-id') ?? '').sort())

test('donor tabs join the room, the openai client gets answers (plain and streamed, at once), a killed tab comes back, SIGTERM stops every browser', async () => {
  test.setTimeout(420_000)
  const server = await startServer()
  const room = uniqueRoom('donor')
  // Slow enough that the synthesizer's partials reach the board before its result (the stream test needs ≥ 2 chunks).
  const donor = runDonor(['--server', `${server.url}/`, '--room', room, '--tabs', '2', '--engine', 'sim', '--api-port', '0', '--query', 'simTps=40'])
  let person: Peer | undefined
  try {
    const baseURL = await donor.apiUrl()
    // A person's tab in the same room, without an engine of its own: the donors do the work.
    person = await launchPeer()
    await person.page.goto(`${server.url}/#room=${room}`)
    await expectPeerCount(person.page, 2)
    await donor.waitFor(/^tab 1 .*sim \(SIMULATED\).* ready /)
    await donor.waitFor(/^tab 2 .*sim \(SIMULATED\).* ready /)
    const donorIds = await peerIds(person)
    for (const id of donorIds) await expect(person.page.locator(`[data-testid="peer"][data-peer-id="${id}"]`)).toContainText(/simulated/i)

    const openai = new OpenAI({ baseURL, apiKey: 'not-needed', maxRetries: 0 })
    const models = await openai.models.list()
    expect(models.data.map((m) => m.id)).toContain('mindos-swarm')

    // Two requests at once, one plain and one streamed: two tasks on the board.
    const question = 'Explain how honey bees make honey and why pollination matters'
    const streamQuestion = 'Why is the sky blue during the day?'
    const collect = async () => {
      const stream = await openai.chat.completions.create({ model: 'mindos-swarm', stream: true, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: streamQuestion }] })
      const contents: string[] = []
      let finish: string | null = null
      let ext: { task_id?: string } | undefined
      for await (const chunk of stream) {
        const c = chunk.choices[0]
        if (c?.delta.content) contents.push(c.delta.content)
        if (c?.finish_reason) finish = c.finish_reason
        ext ??= (chunk as unknown as { x_mindos?: { task_id: string } }).x_mindos
      }
      return { contents, finish, ext }
    }
    const [reply, streamed] = await Promise.all([openai.chat.completions.create({ model: 'mindos-swarm', messages: [{ role: 'user', content: question }] }), collect()])

    const answer = reply.choices[0]?.message.content ?? ''
    expect(answer.trim().length).toBeGreaterThan(0)
    const ext = (reply as unknown as { x_mindos: { task_id: string; plan_steps: unknown[]; provenance: { simulated: boolean; engine: string }; verification: { outcome: string } } }).x_mindos
    expect(ext.provenance).toMatchObject({ simulated: true, engine: 'sim' })
    expect(ext.plan_steps.length).toBeGreaterThan(0)
    expect(ext.verification.outcome).toMatch(/passed|unverified/)
    // The task is on the person's board like any other, with the swarm's answer.
    const task = person.page.getByTestId('task').filter({ hasText: question })
    await expect(task).toHaveCount(1)
    await expect(task).toHaveAttribute('data-status', 'done')

    expect(streamed.contents.length, `content chunks: ${JSON.stringify(streamed.contents)}`).toBeGreaterThanOrEqual(2)
    expect(streamed.contents.join('').trim().length).toBeGreaterThan(0)
    expect(streamed.finish).toBe('stop')
    expect(streamed.ext?.task_id).toBeTruthy()
    expect(streamed.ext?.task_id).not.toBe(ext.task_id)
    await expect(person.page.getByTestId('task').filter({ hasText: streamQuestion })).toHaveCount(1)

    // Malformed JSON: a 4xx in OpenAI's error shape, and no task.
    const bad = await fetch(`${baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": "mindos-swarm", "messages": [' })
    expect(bad.status).toBeGreaterThanOrEqual(400)
    expect(bad.status).toBeLessThan(500)
    expect(((await bad.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error')

    // Kill tab 1's browser: the donor restarts it, with the same profile and so the same node identity.
    const profile = path.join(donor.dataDir, 'tab-1')
    const pid = browserPid(profile)
    expect(pid, 'tab 1 has a browser process').not.toBeNull()
    const mark = donor.output.length
    process.kill(pid!, 'SIGKILL')
    await donor.waitFor(/tab 1: the browser closed; restart #1 in \d+ s/, 60_000, mark)
    const up = await donor.waitFor(/tab 1: up \(browser pid (\d+)/, 120_000, mark)
    expect(Number(up[1])).not.toBe(pid)
    await donor.waitFor(/^tab 1 .* ready /, 120_000, mark)
    await expectPeerCount(person.page, 2)
    await expect.poll(() => peerIds(person!), { timeout: 60_000 }).toEqual(donorIds)

    // SIGTERM: a clean exit, and no browser left on any profile.
    expect(await donor.stop(true)).toBe(0)
    expect(browserPid(profile)).toBeNull()
    expect(browserPid(path.join(donor.dataDir, 'tab-2'))).toBeNull()
    await expectPeerCount(person.page, 0)
  } finally {
    await donor.stop()
    await closeAll(person ? [person] : [], server)
  }
})

test('no capable tab: 503 in OpenAI\'s error shape; a wrong API key: 401', async () => {
  const server: SwarmServer = await startServer()
  // One tab that only verifies: nobody in the room can plan or synthesize.
  const donor: DonorProcess = runDonor(['--server', `${server.url}/`, '--room', uniqueRoom('donor503'), '--engine', 'sim', '--roles', 'verifier', '--api-port', '0', '--api-key', 'sesame'])
  try {
    const baseURL = await donor.apiUrl()
    await donor.waitFor(/^tab 1 .* ready /)
    const wrong = new OpenAI({ baseURL, apiKey: 'wrong', maxRetries: 0 })
    const denied = await wrong.models.list().then(() => null, (err: unknown) => err)
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError)

    const openai = new OpenAI({ baseURL, apiKey: 'sesame', maxRetries: 0 })
    const err = await openai.chat.completions.create({ model: 'mindos-swarm', messages: [{ role: 'user', content: 'Anyone there?' }] }).then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(OpenAI.APIError)
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503)
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('no_capacity')
    const raw = await fetch(`${baseURL}/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sesame', 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mindos-swarm', messages: [{ role: 'user', content: 'Anyone?' }] }) })
    expect(raw.status).toBe(503)
    const body = (await raw.json()) as { error: Record<string, unknown> }
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type'])
    expect(body.error.message).toMatch(/planner, researcher, synthesizer roles/)
  } finally {
    await donor.stop()
    await server.close()
  }
})

test('bad input ends with one line on stderr and a non-zero exit: a bad flag, an unreachable server, a missing Chromium', async () => {
  const server = await startServer()
  const port = server.port
  await server.close() // now nothing listens there
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--tabs', 'many'], {}, /^donor: --tabs must be an integer/],
    [['--server', `http://127.0.0.1:${port}/`], {}, /^donor: cannot reach the MindOS server at http:\/\/127\.0\.0\.1:\d+\/ .*ECONNREFUSED/],
    [['--server', `http://127.0.0.1:${port}/`], { CHROMIUM_PATH: '/nonexistent/chromium' }, /^donor: Chromium not found or not executable at \/nonexistent\/chromium/],
  ]
  for (const [args, env, message] of cases) {
    const donor = runDonor(args, env)
    const code = await donor.exited
    await donor.stop()
    expect(code, args.join(' ')).not.toBe(0)
    const errors = donor.output.filter((l) => l.startsWith('stderr: ')).map((l) => l.slice(8))
    expect(errors, args.join(' ')).toHaveLength(1)
    expect(errors[0]).toMatch(message)
  }
})
