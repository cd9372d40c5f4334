/**
 * The graph reads at size: after a task of 8 steps, every node lies inside
 * the visible graph panel at 1280×900; wheel zoom, drag pan and the fit
 * button work; the selected node's output streams live. Also takes the
 * README's graph and phone screenshots.
 *
 * The simulated planner makes 2–5 steps, so the plan here comes from a FAKE
 * planner peer: the test writes an 8-step plan result (labelled SIMULATED,
 * node "e2e-fake-planner") through the page's Board facade (the diagnostics
 * handle `window.__mindos.board`), with the children built by the app's own
 * graph builders, exactly what a planner tab would write. The tab then runs
 * every step, verification and synthesis on the simulated engine.
 */
import { test, expect, type Page } from '@playwright/test'
import path from 'node:path'
import type { Board, TaskId, TaskResult, TaskSnapshot } from '../../src/board'
import type { NodeId } from '../../src/mesh'
import { planChildren } from '../../src/scheduler/graph-builders'
import { closeAll, launchPeer, repoRoot, startServer, uniqueRoom } from './harness'

const PROMPT = 'Plan a week-long school science fair with judging, volunteers, safety rules and a budget'
/** The fake planner writes as the page's own key (records are signed by their writer), under a name that says it is a fake. */
const FAKE_PLANNER_NAME = 'e2e planner (fake)'
const STEPS = ['Venue and dates', 'Judging criteria', 'Volunteer roster', 'Safety rules', 'Budget', 'Prizes', 'Schedule of the week', 'Announcement'].map((title, i) => ({
  title,
  instructions: `Work out the ${title.toLowerCase()} for the fair.`,
  dependsOn: i === 6 ? [1, 2, 3] : i === 7 ? [7, 4, 5] : [],
}))

type Diagnostics = { __mindos: { board: Board; identity: { id: NodeId } } }

/** Writes the fake planner's 8-step plan for the newest task, as a planner tab would: claim, lease, then the result with its children. */
async function writeBigPlan(page: Page): Promise<void> {
  const plan = await page.evaluate(() => {
    const w = (window as unknown as Diagnostics).__mindos
    const p = w.board.snapshot().find((t) => t.kind === 'plan')!
    return { id: p.id, rootId: p.rootId, prompt: p.prompt, self: w.identity.id }
  })
  const FAKE_PLANNER = { id: plan.self, name: FAKE_PLANNER_NAME }
  const result: TaskResult = {
    attempt: 1,
    text: JSON.stringify({ steps: STEPS }),
    provenance: { node: FAKE_PLANNER.id, name: FAKE_PLANNER.name, engine: 'sim', model: 'sim-fast', simulated: true, tokensPerSec: 0, startedAt: Date.now(), endedAt: Date.now(), promptTokens: 0, completionTokens: 0 },
  }
  const children = planChildren(plan as unknown as TaskSnapshot, `1:${FAKE_PLANNER.id}`, { steps: STEPS }, FAKE_PLANNER, Date.now())
  await page.evaluate(
    ({ id, result, children, name }) => {
      const board = (window as unknown as Diagnostics).__mindos.board
      const node = result.provenance.node
      board.addClaim(id as TaskId, { node, name, attempt: 1 })
      board.addLease(id as TaskId, { node, name, attempt: 1, beat: 0 })
      board.addResult(id as TaskId, result, children)
    },
    { id: plan.id, result, children, name: FAKE_PLANNER_NAME },
  )
}

interface Box {
  x: number
  y: number
  width: number
  height: number
}

async function boxes(page: Page): Promise<{ panel: Box; nodes: Box[] }> {
  const panel = (await page.getByTestId('graph').boundingBox())!
  const nodes = await page.getByTestId('graph-node').evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect()
      return { x: r.x, y: r.y, width: r.width, height: r.height }
    }),
  )
  return { panel, nodes }
}

function outside(panel: Box, nodes: Box[]): Box[] {
  const eps = 0.5
  return nodes.filter((n) => n.x < panel.x - eps || n.y < panel.y - eps || n.x + n.width > panel.x + panel.width + eps || n.y + n.height > panel.y + panel.height + eps)
}

async function scaleOf(page: Page): Promise<number> {
  return Number(await page.getByTestId('graph').getAttribute('data-scale'))
}

test('a graph of 8 steps fits the panel at 1280×900; zoom, pan and fit work; the selected node streams', async () => {
  test.setTimeout(480_000) // one tab runs 8 steps, 8 verifications and the synthesis
  const server = await startServer()
  const peer = await launchPeer()
  try {
    const page = peer.page
    await page.setViewportSize({ width: 1280, height: 900 })
    // Slow enough that steps are still streaming while we look, fast enough for the machine.
    await page.goto(`${server.url}/?engine=sim&simTps=40#room=${uniqueRoom('graph')}`)
    await expect(page.getByTestId('engine-status')).toHaveAttribute('data-state', 'ready', { timeout: 120_000 })
    // Paused while the fake planner writes the plan, so this tab does not plan it first.
    await page.getByTestId('pause-toggle').click()
    await page.getByTestId('task-input').fill(PROMPT)
    await page.getByTestId('task-submit').click()
    await expect(page.getByTestId('graph-node')).toHaveCount(2) // root and plan
    await writeBigPlan(page)
    await page.getByTestId('pause-toggle').click()
    const research = page.locator('[data-testid="graph-node"][data-kind="research"]')
    await expect(research).toHaveCount(8)

    // The selected running node's output streams into the detail panel while it runs. Watched from
    // inside the page (every re-render of the detail), so a busy machine cannot make us miss it.
    await page.evaluate(() => {
      const seen = new Map<string, Set<number>>()
      ;(window as unknown as { __grew: () => boolean }).__grew = () => [...seen.values()].some((s) => s.size >= 2)
      new MutationObserver(() => {
        const out = document.querySelector<HTMLElement>('[data-testid="node-output"]')
        const selected = document.querySelector<HTMLElement>('[data-testid="graph-node"][data-selected="true"]')
        if (!out || !selected || out.dataset.live !== 'true') return
        const id = selected.dataset.taskId ?? ''
        if (!seen.has(id)) seen.set(id, new Set())
        seen.get(id)!.add((out.textContent ?? '').length)
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true })
    })
    const grew = () => page.evaluate(() => (window as unknown as { __grew: () => boolean }).__grew())
    for (let tries = 0; tries < 5 && !(await grew()); tries++) {
      const running = page.locator('[data-testid="graph-node"][data-kind="research"][data-status="running"]').first()
      await expect(running).toBeVisible({ timeout: 60_000 })
      await running.click({ force: true })
      // Until it grew, or this node stopped running (then pick the next running one).
      await expect.poll(async () => (await grew()) || (await page.locator('[data-testid="graph-node"][data-selected="true"][data-status="running"]').count()) === 0, { timeout: 30_000 }).toBe(true)
    }
    expect(await grew(), "the selected node's output grew while it ran").toBe(true)

    await expect(page.getByTestId('final-answer')).toBeVisible({ timeout: 150_000 })
    const count = await page.getByTestId('graph-node').count()
    expect(count).toBeGreaterThanOrEqual(8 + 8 + 3) // steps, their verifications, plan, synthesis, root
    await page.getByTestId('graph').evaluate((e) => e.scrollIntoView({ block: 'center' }))
    const fitted = await boxes(page)
    expect(fitted.panel.y + fitted.panel.height, 'the graph panel fits in the viewport').toBeLessThanOrEqual(900)
    expect(outside(fitted.panel, fitted.nodes), 'every node inside the panel after render').toEqual([])
    await page.screenshot({ path: path.join(repoRoot, 'docs', 'graph.png') })

    // Wheel zoom in: nodes grow and some leave the panel; the view stops following the layout.
    const k0 = await scaleOf(page)
    const c = { x: fitted.panel.x + fitted.panel.width / 2, y: fitted.panel.y + fitted.panel.height / 2 }
    await page.mouse.move(c.x, c.y)
    for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -200)
    await expect.poll(() => scaleOf(page)).toBeGreaterThan(k0 * 1.5)
    await expect.poll(async () => outside(...Object.values(await boxes(page)) as [Box, Box[]]).length).toBeGreaterThan(0)

    // Drag pans: a node moves with the pointer.
    const before = (await page.getByTestId('graph-node').first().boundingBox())!
    await page.mouse.move(c.x, c.y)
    await page.mouse.down()
    await page.mouse.move(c.x + 120, c.y + 60, { steps: 6 })
    await page.mouse.up()
    const after = (await page.getByTestId('graph-node').first().boundingBox())!
    expect(after.x - before.x).toBeCloseTo(120, -1)
    expect(after.y - before.y).toBeCloseTo(60, -1)

    // Fit brings everything back inside.
    await page.getByTestId('graph-fit').click()
    await expect.poll(() => scaleOf(page)).toBeCloseTo(k0, 2)
    const refit = await boxes(page)
    expect(outside(refit.panel, refit.nodes)).toEqual([])

    // A phone: the layout stacks, the graph fits its narrower panel, the header keeps the QR button.
    await page.setViewportSize({ width: 390, height: 844 })
    await page.getByTestId('graph-fit').click()
    await page.getByTestId('graph').evaluate((e) => e.scrollIntoView({ block: 'center' }))
    const phone = await boxes(page)
    expect(phone.panel.width).toBeLessThanOrEqual(390)
    expect(outside(phone.panel, phone.nodes)).toEqual([])
    await page.evaluate(() => window.scrollTo(0, 0))
    await page.screenshot({ path: path.join(repoRoot, 'docs', 'phone.png') })
    expect(peer.errors).toEqual([])
  } finally {
    await closeAll([peer], server)
  }
})
