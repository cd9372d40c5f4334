/**
 * Test page for the trust UI (bundled by trust-ui.spec.ts): mounts the real
 * swarm panel, node detail and final answer with a board built by the unit
 * fixtures, where one key is distrusted, writers without presence were
 * rejected, and every name is hostile markup. Nothing here is a fake of the
 * UI: it is the UI, fed plain data the way src/main.ts feeds it.
 */
import type { PeerRejectionView } from '../../../src/mesh/mesh-adapter'
import type { PeerView } from '../../../src/mesh/peer-directory'
import type { NodeId } from '../../../src/mesh/protocol'
import { deriveBoard } from '../../../src/scheduler/derive'
import { computeLedger } from '../../../src/scheduler/ledger'
import { computeReputation } from '../../../src/scheduler/reputation'
import { createFinalAnswer } from '../../../src/ui/final-answer'
import { createNodeDetail } from '../../../src/ui/node-detail'
import { createSwarmPanel } from '../../../src/ui/swarm-panel'
import type { BoardRejection } from '../../../src/ui/rejection-rows'
import { Graph, ROOT, result, twoSteps } from '../../unit/task-fixtures'

export const HOSTILE = '<img src=x onerror="window.__pwned=1">'
export const PLANNER = 'plannerplannerplannerplann' as NodeId
export const RESEARCHER = 'researcherresearcherresear' as NodeId
export const VERIFIER = 'verifierverifierverifierve' as NodeId
export const LIAR = 'liarliarliarliarliarliarli' as NodeId
export const SELF = 'selfselfselfselfselfselfse' as NodeId

function mount(): { researchId: string } {
  const g = new Graph()
  const [s1, s2, synth] = g.plan(PLANNER, twoSteps)
  const v1 = g.research(s1!, RESEARCHER)
  g.result(v1, result(VERIFIER, 1, { verdict: 'pass', reason: 'cites its sources', provenance: { name: 'vera' } }))
  const v2 = g.research(s2!, RESEARCHER)
  g.result(v2, result(VERIFIER, 1, { verdict: 'pass', reason: 'sound', provenance: { name: 'vera' } }))
  g.result(synth!, result(RESEARCHER, 1, { text: 'the final answer', provenance: { name: HOSTILE } }))
  const derived = deriveBoard(g.snapshots())
  const distrusted = new Map([[LIAR, 'equivocated: two results for attempt 1']])
  const reputation = computeReputation(derived.values(), distrusted)

  const presence = (id: NodeId, name: string) => ({ v: 1 as const, id, name, appVersion: 'test', state: 'ready' as const, visible: true, meshPeerId: `m-${id}`, caps: { webgpu: false }, load: 0, hb: 0 })
  const peers: PeerView[] = [{ clientId: 1, presence: presence(VERIFIER, 'vera'), direct: true, lastSeen: 0 }]
  const transport: PeerRejectionView[] = [
    { source: 'm-verifier', node: VERIFIER, name: 'vera', total: 2, byReason: { 'too-large': 2 }, lastDetail: '300000 bytes', lastAt: 0, distrustedUntil: null },
    { source: 'ghostpeer-0001', node: null, name: null, total: 9, byReason: { 'message-rate': 9 }, lastDetail: HOSTILE, lastAt: 0, distrustedUntil: 10_000 },
  ]
  const boardRejections: BoardRejection[] = [
    { writer: 'client:424242', reasons: { 'not-an-envelope': 5, [HOSTILE]: 1 } },
    { writer: VERIFIER, reasons: { 'bad-signature': 1 } },
  ]

  const panel = createSwarmPanel({ id: SELF, name: 'me', createdAt: 0 })
  const detail = createNodeDetail()
  const answer = createFinalAnswer()
  document.body.append(answer.element, detail.element, panel.element)
  panel.update(presence(SELF, 'me'), peers, computeLedger(derived.values(), reputation), new Map(), { reputation, boardRejections, transportRejections: transport, distrusted, now: 1000 })
  answer.render(derived.get(ROOT)!, undefined, reputation)
  detail.render(derived.get(s1!)!, derived, undefined, reputation)
  return { researchId: s1! }
}

;(window as unknown as { __trustUi: unknown }).__trustUi = { mount }
