/** Room name, copyable join link and connection status. */
import type { MeshStatus } from '../mesh'
import { h, setText } from './dom'
import { createJoinQr } from './join-qr'

export interface HeaderView {
  readonly element: HTMLElement
  update(status: MeshStatus, peerCount: number): void
  /** A storage problem for the person (null: none). */
  setStorageProblem(message: string | null): void
  /** Something about the board a person should know (an older unsigned board, a read-only tab); null: none. */
  setBoardNotice(message: string | null): void
}

export function createHeader(opts: { room: string; link: string; keyed: boolean; problems: readonly string[] }): HeaderView {
  const statusEl = h('span', { class: 'status', testid: 'connection-status', 'data-status': 'connecting' }, 'Connecting…')
  const linkInput = h('input', { class: 'join-link', testid: 'join-link', readonly: true, value: opts.link, 'aria-label': 'Join link' })
  const copyButton = h('button', { type: 'button', testid: 'copy-link' }, 'Copy join link')
  copyButton.addEventListener('click', () => {
    linkInput.select()
    const done = (): void => {
      copyButton.textContent = 'Copied'
      setTimeout(() => (copyButton.textContent = 'Copy join link'), 1500)
    }
    navigator.clipboard?.writeText(opts.link).then(done, () => document.execCommand?.('copy') && done())
  })
  const storageEl = h('div', { class: 'problems', testid: 'storage-problem', role: 'alert', hidden: true })
  const boardNoticeEl = h('div', { class: 'problems', testid: 'board-notice', hidden: true })
  const element = h(
    'header',
    { class: 'app-header' },
    h('div', { class: 'brand' }, h('strong', {}, 'MindOS Swarm'), h('span', { class: 'muted' }, ' · every tab is a node')),
    h(
      'div',
      { class: 'room' },
      h('span', { class: 'muted' }, 'Room '),
      h('strong', { testid: 'room-name' }, opts.room),
      opts.keyed ? h('span', { class: 'badge', title: 'Signaling is encrypted with the room key from the link; the key never reaches the server.' }, 'private key') : null,
      linkInput,
      copyButton,
      createJoinQr(opts.link, opts.keyed),
    ),
    statusEl,
    storageEl,
    boardNoticeEl,
    opts.problems.length ? h('div', { class: 'problems', testid: 'url-problems' }, ...opts.problems.map((p) => h('div', {}, p))) : null,
  )
  return {
    element,
    setStorageProblem(message) {
      storageEl.hidden = message === null
      setText(storageEl, message ?? '')
    },
    setBoardNotice(message) {
      boardNoticeEl.hidden = message === null
      setText(boardNoticeEl, message ?? '')
    },
    update(status, peerCount) {
      statusEl.dataset.status = status.signaling
      const peers = `${peerCount} peer${peerCount === 1 ? '' : 's'}`
      const statusText =
        status.signaling === 'connected'
          ? `Online · ${peers}`
          : status.signaling === 'unreachable'
            ? `Signaling unreachable · peer-to-peer only · ${peers}`
            : `Connecting to signaling… · ${peers}`
      setText(statusEl, statusText)
      statusEl.title = `Signaling: ${status.signalingUrls.join(', ')} (${status.connectedSignaling} connected). Direct connections: ${status.directConnections}, pending: ${status.pendingConnections}.`
    },
  }
}
