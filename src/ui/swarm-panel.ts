/** Who is in the swarm: this node, then one card per connected peer. */
import type { NodeIdentity, PeerView, PresenceState } from '../mesh'
import type { LedgerRow } from '../scheduler'
import { h, replaceChildren } from './dom'
import { labelPrefix, outputKind, type OutputKind } from './labels'

export interface SwarmPanelView {
  readonly element: HTMLElement
  /** `kinds`: per node, whether its counted work was SIMULATED or TEST FIXTURE output (labels.ts contributionKinds). */
  update(self: PresenceState | null, peers: readonly PeerView[], ledger: readonly LedgerRow[], kinds?: ReadonlyMap<string, OutputKind>): void
}

export function createSwarmPanel(identity: NodeIdentity): SwarmPanelView {
  const countEl = h('span', { testid: 'peer-count' }, '0')
  const selfEl = h('div', { class: 'card self' })
  const listEl = h('div', { class: 'peer-list', testid: 'peer-list' })
  const ledgerEl = h('table', { class: 'ledger small', testid: 'ledger' })
  const element = h(
    'section',
    { class: 'panel swarm-panel' },
    h('h2', {}, 'Swarm ', h('span', { class: 'muted' }, '· '), countEl, h('span', { class: 'muted' }, ' other peers')),
    selfEl,
    listEl,
    h('h3', {}, 'Contributions'),
    ledgerEl,
  )
  return {
    element,
    update(self, peers, ledger, kinds = new Map()) {
      replaceChildren(ledgerEl, [
        h('tr', {}, h('th', {}, 'node'), h('th', {}, 'tasks'), h('th', {}, 'tokens')),
        ...(ledger.length === 0
          ? [h('tr', {}, h('td', { class: 'muted', colspan: 3 }, 'Nothing finished yet.'))]
          : ledger.map((r) =>
              h('tr', { testid: 'ledger-row', 'data-node': r.node }, h('td', {}, r.name, ledgerLabel(r.simulated || kinds.get(r.node)?.simulated === true, kinds.get(r.node)?.fixture === true)), h('td', {}, String(r.tasks)), h('td', {}, String(r.tokens))),
            )),
      ])
      countEl.textContent = String(peers.length)
      replaceChildren(selfEl, [
        h('div', { class: 'card-title' }, h('strong', {}, identity.name), h('span', { class: 'badge' }, 'this tab')),
        h('div', { class: 'muted small' }, 'id ', h('code', { testid: 'self-id' }, identity.id)),
        self ? capabilityLine(self) : null,
      ])
      replaceChildren(
        listEl,
        peers.length === 0
          ? [h('div', { class: 'muted empty' }, 'No other peers yet. Share the join link, or open it in another browser.')]
          : peers.map((p) => peerCard(p)),
      )
    },
  }
}

/** The ledger's honest label: which of a node's counted results are not real model output. */
function ledgerLabel(simulated: boolean, fixture: boolean): HTMLElement | null {
  const words = [simulated ? 'SIMULATED' : null, fixture ? 'TEST FIXTURE' : null].filter(Boolean)
  return words.length ? h('span', { class: 'sim-label', testid: 'ledger-label' }, ` (${words.join(', ')})`) : null
}

function peerCard(peer: PeerView): HTMLElement {
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
    h('div', { class: 'muted small' }, `v${p.appVersion} · ${p.id.slice(0, 8)}`),
  )
}

function capabilityLine(p: PresenceState): HTMLElement {
  const c = p.caps
  const gpu = c.webgpu ? `WebGPU: ${[c.vendor, c.architecture].filter(Boolean).join(' / ') || 'adapter'}` : 'no WebGPU'
  const kind = outputKind({ simulated: c.simulated === true, model: c.model ?? '' })
  const engine = c.engine ? `${labelPrefix(kind)}${c.engine}${c.model ? ` · ${c.model}` : ''}${c.tokensPerSec ? ` · ${c.tokensPerSec.toFixed(1)} tok/s` : ''}` : null
  return h('div', { class: 'caps small', 'data-webgpu': String(c.webgpu) }, gpu, engine ? h('div', { class: kind.simulated || kind.fixture ? 'sim-label' : '' }, engine) : null)
}
