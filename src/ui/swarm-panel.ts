/**
 * Who is in the swarm: this node, then one card per connected peer, the
 * writers whose records or messages were rejected (with reasons), and the
 * contributions ledger with each key's trust.
 */
import type { NodeIdentity, PeerRejectionView, PeerView, PresenceState } from '../mesh'
import type { LedgerRow, Reputation } from '../scheduler'
import { h, replaceChildren, setText } from './dom'
import { labelPrefix, outputKind, type OutputKind } from './labels'
import { rejectionEntries, type BoardRejection, type RejectionEntry } from './rejection-rows'
import { fingerprint, signerParts, trustBadge } from './signer'

/** Everything the trust parts of the panel show; all from the board and the mesh, as plain data. */
export interface SwarmTrust {
  /** computeReputation(derived shared board, board.distrusted()). */
  readonly reputation: Reputation
  /** board.rejections(). */
  readonly boardRejections: readonly BoardRejection[]
  /** mesh.rejections(). */
  readonly transportRejections: readonly PeerRejectionView[]
  /** board.distrusted(). */
  readonly distrusted: ReadonlyMap<string, string>
  readonly now: number
}

export interface SwarmPanelView {
  readonly element: HTMLElement
  /** `kinds`: per node, whether its counted work was SIMULATED or TEST FIXTURE output (labels.ts contributionKinds). */
  update(self: PresenceState | null, peers: readonly PeerView[], ledger: readonly LedgerRow[], kinds?: ReadonlyMap<string, OutputKind>, trust?: SwarmTrust): void
}

export function createSwarmPanel(identity: NodeIdentity): SwarmPanelView {
  const countEl = h('span', { testid: 'peer-count' }, '0')
  const selfEl = h('div', { class: 'card self' })
  const listEl = h('div', { class: 'peer-list', testid: 'peer-list' })
  const ledgerEl = h('table', { class: 'ledger small', testid: 'ledger' })
  const rejectedEl = h('div', { class: 'rejections small', testid: 'rejections' })
  // Shown once the caller passes the trust data: without it, "nothing rejected" would be a claim nobody checked.
  const rejectedSection = h(
    'div',
    { hidden: true },
    h('h3', { title: 'Records that failed their signature or authorization check, and messages over the transport caps. None of it is shown or applied.' }, 'Rejected'),
    rejectedEl,
  )
  const element = h(
    'section',
    { class: 'panel swarm-panel' },
    h('h2', {}, 'Swarm ', h('span', { class: 'muted' }, '· '), countEl, h('span', { class: 'muted' }, ' other peers')),
    selfEl,
    listEl,
    rejectedSection,
    h('h3', {}, 'Contributions'),
    ledgerEl,
  )
  return {
    element,
    update(self, peers, ledger, kinds = new Map(), trust) {
      replaceChildren(ledgerEl, [
        h('tr', {}, h('th', {}, 'node'), h('th', {}, 'tasks'), h('th', { title: 'Completion tokens of accepted results, at most the bytes each delivered' }, 'tokens'), h('th', { title: 'Trust = 1 − error rate: 0.1 to start, ×0.95 per verified result, +0.05 per failed one' }, 'trust')),
        ...(ledger.length === 0
          ? [h('tr', {}, h('td', { class: 'muted', colspan: 4 }, 'Nothing finished yet.'))]
          : ledger.map((r) => ledgerRow(r, kinds, trust?.reputation))),
      ])
      const names = new Map<string, string>([[identity.id, `${identity.name} (this tab)`], ...peers.map((p) => [p.presence.id, p.presence.name] as [string, string])])
      const rejected = trust
        ? rejectionEntries({ board: trust.boardRejections, transport: trust.transportRejections, distrusted: trust.distrusted, names, now: trust.now })
        : { entries: [], more: 0 }
      rejectedSection.hidden = trust === undefined
      const byNode = new Map(rejected.entries.filter((e) => e.node !== null).map((e) => [e.node!, e]))
      replaceChildren(rejectedEl, [
        ...(rejected.entries.length === 0 ? [h('div', { class: 'muted' }, 'Nothing rejected: every record received so far verified.')] : rejected.entries.map(rejectionLine)),
        rejected.more > 0 ? h('div', { class: 'muted', testid: 'rejections-more' }, `and ${rejected.more} more writers`) : null,
      ])
      setText(countEl, String(peers.length))
      replaceChildren(selfEl, [
        h('div', { class: 'card-title' }, h('strong', {}, identity.name), h('span', { class: 'badge' }, 'this tab')),
        h('div', { class: 'muted small' }, 'id ', h('code', { testid: 'self-id' }, identity.id)),
        self ? capabilityLine(self) : null,
        trust ? trustLine(identity.id, trust.reputation, byNode.get(identity.id)) : null,
      ])
      replaceChildren(
        listEl,
        peers.length === 0
          ? [h('div', { class: 'muted empty' }, 'No other peers yet. Share the join link, or open it in another browser.')]
          : peers.map((p) => peerCard(p, trust?.reputation, byNode.get(p.presence.id))),
      )
    },
  }
}

/** The ledger's honest label: which of a node's counted results are not real model output. */
function ledgerLabel(simulated: boolean, fixture: boolean): HTMLElement | null {
  const words = [simulated ? 'SIMULATED' : null, fixture ? 'TEST FIXTURE' : null].filter(Boolean)
  return words.length ? h('span', { class: 'sim-label', testid: 'ledger-label' }, ` (${words.join(', ')})`) : null
}

function ledgerRow(r: LedgerRow, kinds: ReadonlyMap<string, OutputKind>, reputation?: Reputation): HTMLElement {
  // r.trust comes from the reputation computeLedger was given; only the distrust evidence is looked up here.
  const distrusted = reputation?.get(r.node)?.distrusted ?? null
  return h(
    'tr',
    { testid: 'ledger-row', 'data-node': r.node, 'data-trust': r.trust.toFixed(2), 'data-low-trust': String(r.lowTrust) },
    h('td', { title: `key ${r.node}` }, r.name, ' ', h('code', { class: 'muted', testid: 'key-fingerprint' }, fingerprint(r.node)), ledgerLabel(r.simulated || kinds.get(r.node)?.simulated === true, kinds.get(r.node)?.fixture === true)),
    h('td', {}, String(r.tasks)),
    h('td', {}, String(r.tokens)),
    h('td', { testid: 'ledger-trust' }, r.trust.toFixed(2), r.lowTrust ? ' ' : null, r.lowTrust ? trustBadge(distrusted) : null),
  )
}

/** One writer whose records or messages were refused. Unknown writers (no presence) say what identifies them. */
function rejectionLine(e: RejectionEntry): HTMLElement {
  return h(
    'div',
    { class: `rejection${e.known ? '' : ' unknown'}`, testid: 'rejection', 'data-writer': e.id, 'data-known': String(e.known), 'data-total': String(e.total) },
    h(
      'div',
      { class: 'card-title' },
      h('strong', { class: 'rejection-who' }, e.label),
      h('code', { class: 'muted' }, e.identifiedBy),
      e.distrusted !== null ? trustBadge(e.distrusted) : null,
      e.cutOff ? h('span', { class: 'badge bad', title: 'Its messages are dropped for now (transport caps)' }, 'cut off') : null,
      h('span', { class: 'muted' }, `${e.total} rejected`),
    ),
    e.reasons.length
      ? h('div', { class: 'rejection-reasons' }, ...e.reasons.map((r) => h('span', { testid: 'rejection-reason', 'data-reason': r.reason, 'data-layer': r.layer }, `${r.reason} × ${r.count}${r.layer === 'transport' ? ' (transport)' : ''}`)))
      : null,
    e.distrusted !== null ? h('div', { class: 'muted' }, `distrusted: ${e.distrusted}`) : null,
    e.lastDetail ? h('div', { class: 'muted' }, `last: ${e.lastDetail}`) : null,
  )
}

/** "trust 0.90 · 3 records rejected" under a card. */
function trustLine(node: string, reputation: Reputation, rejected?: RejectionEntry): HTMLElement {
  const p = signerParts(undefined, node, reputation)
  return h(
    'div',
    { class: 'muted small', testid: 'peer-trust', 'data-low-trust': String(p.lowTrust) },
    p.trust,
    p.lowTrust ? ' ' : null,
    p.lowTrust ? trustBadge(p.distrusted) : null,
    rejected && rejected.total > 0 ? ` · ${rejected.total} rejected` : null,
  )
}

function peerCard(peer: PeerView, reputation?: Reputation, rejected?: RejectionEntry): HTMLElement {
  const p = peer.presence
  return h(
    'div',
    { class: `card peer state-${p.state}`, testid: 'peer', 'data-peer-id': p.id, 'data-state': p.state },
    h(
      'div',
      { class: 'card-title' },
      h('strong', {}, p.name),
      h('span', { class: `badge state` }, p.state),
      p.visible ? null : h('span', { class: 'badge muted', title: 'Background tabs are throttled by the browser' }, 'hidden tab'),
      peer.direct ? null : h('span', { class: 'badge muted', title: 'Reached through another peer' }, 'relayed'),
    ),
    capabilityLine(p),
    h('div', { class: 'muted small' }, `v${p.appVersion} · key `, h('code', { testid: 'key-fingerprint' }, fingerprint(p.id))),
    reputation ? trustLine(p.id, reputation, rejected) : null,
  )
}

function capabilityLine(p: PresenceState): HTMLElement {
  const c = p.caps
  const gpu = c.webgpu ? `WebGPU: ${[c.vendor, c.architecture].filter(Boolean).join(' / ') || 'adapter'}` : 'no WebGPU'
  const kind = outputKind({ simulated: c.simulated === true, model: c.model ?? '' })
  const engine = c.engine ? `${labelPrefix(kind)}${c.engine}${c.model ? ` · ${c.model}` : ''}${c.tokensPerSec ? ` · ${c.tokensPerSec.toFixed(1)} tok/s` : ''}` : null
  return h('div', { class: 'caps small', 'data-webgpu': String(c.webgpu) }, gpu, engine ? h('div', { class: kind.simulated || kind.fixture ? 'sim-label' : '' }, engine) : null)
}
