/**
 * Who signed a record, as people see it: the name the key signed with (self-
 * chosen, so never enough on its own), a short key fingerprint (the first 8
 * characters of the node id, which is derived from the public key, as
 * keyFingerprint in src/trust/keys.ts), and the key's trust on this board.
 * The board guarantees a result's provenance.node is its signer.
 */
import { reputationOf, type Reputation } from '../scheduler/reputation'
import { h } from './dom'

const FINGERPRINT_CHARS = 8
const MAX_NAME = 80

export function fingerprint(node: string): string {
  return node.slice(0, FINGERPRINT_CHARS)
}

export interface SignerParts {
  readonly name: string
  readonly fingerprint: string
  /** "trust 0.90", or null without a reputation. */
  readonly trust: string | null
  readonly lowTrust: boolean
  /** Why the key is distrusted for good, if it is. */
  readonly distrusted: string | null
}

/** Pure: what signerLabel shows. `name` may be absent (a streaming partial names no one). */
export function signerParts(name: string | undefined, node: string, reputation?: Reputation): SignerParts {
  const r = reputation ? reputationOf(reputation, node) : null
  const shown = name && name.trim() !== '' ? name : 'unnamed'
  return {
    name: shown.length > MAX_NAME ? `${shown.slice(0, MAX_NAME - 1)}…` : shown,
    fingerprint: fingerprint(node),
    trust: r ? `trust ${r.trust.toFixed(2)}` : null,
    lowTrust: r?.lowTrust ?? false,
    distrusted: r?.distrusted ?? null,
  }
}

/** "amber-otter · key abcd1234 · trust 0.90 [low trust]": text nodes only, every part is peer-written or derived from it. */
export function signerLabel(name: string | undefined, node: string, reputation?: Reputation): HTMLElement {
  const p = signerParts(name, node, reputation)
  return h(
    'span',
    { class: `signer${p.lowTrust ? ' low-trust' : ''}`, testid: 'signer', 'data-node': node, 'data-fingerprint': p.fingerprint, 'data-low-trust': String(p.lowTrust), title: `signed by key ${node}` },
    p.name,
    ' · key ',
    h('code', { testid: 'key-fingerprint' }, p.fingerprint),
    p.trust ? ` · ${p.trust}` : null,
    p.lowTrust ? ' ' : null,
    p.lowTrust ? trustBadge(p.distrusted) : null,
  )
}

/** "low trust", or "distrusted" with the evidence as its tooltip. */
export function trustBadge(distrusted: string | null): HTMLElement {
  return distrusted !== null
    ? h('span', { class: 'badge bad', testid: 'trust-badge', 'data-trust': 'distrusted', title: distrusted }, 'distrusted')
    : h('span', { class: 'badge muted', testid: 'trust-badge', 'data-trust': 'low', title: 'Low trust: does not verify, ranks last' }, 'low trust')
}
