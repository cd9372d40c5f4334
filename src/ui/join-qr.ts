/**
 * The join link as a QR code, so a phone joins by pointing its camera at the
 * screen. Drawn by `qrcode` onto a canvas (no HTML parsing of anything). The
 * code carries the whole link, fragment included: when the room has a key,
 * the fragment *is* the secret, and the dialog says so.
 */
import QRCode from 'qrcode'
import { createLogger } from '../log'
import { h } from './dom'

const log = createLogger('ui')

export function createJoinQr(link: string, keyed: boolean): HTMLElement {
  const canvas = h('canvas', { testid: 'join-qr', class: 'join-qr', 'aria-label': 'QR code of the join link', 'data-link': link })
  // 'M' error correction and a 4-module quiet zone: what phone cameras read reliably off a screen.
  QRCode.toCanvas(canvas, link, { errorCorrectionLevel: 'M', margin: 4, scale: 6, color: { dark: '#000000', light: '#ffffff' } }).then(
    () => (canvas.dataset.ready = 'true'),
    (err: unknown) => log.warn('QR code could not be drawn', err),
  )
  const secret = keyed
    ? 'Everything after "#" is the room secret: it never reaches the server, but anyone who sees this code or the link can join. Show it only to people you want in the room.'
    : 'Everything after "#" says which room to join and never reaches the server. This room has no key, so anyone who guesses its name can join; add "&key=SECRET" to the link for a private room.'
  const close = h('button', { type: 'button', testid: 'join-qr-close' }, 'Close')
  const dialog = h(
    'dialog',
    { class: 'qr-dialog', testid: 'join-qr-dialog' },
    h('h2', {}, 'Join from a phone'),
    canvas,
    h('div', { class: 'small qr-link' }, h('code', {}, link)),
    h('p', { class: 'small muted', testid: 'join-qr-secret' }, secret),
    h('div', {}, close),
  )
  close.addEventListener('click', () => dialog.close())
  dialog.addEventListener('click', (ev) => ev.target === dialog && dialog.close()) // a click on the backdrop
  const open = h('button', { type: 'button', testid: 'join-qr-open', title: 'Show the join link as a QR code' }, 'QR')
  open.addEventListener('click', () => dialog.showModal())
  return h('span', { class: 'join-qr-host' }, open, dialog)
}
