/**
 * The service worker (vite.config.ts) registered with workbox-window, and
 * what the user sees of it:
 *  - first install: nothing to click; the app shell now opens offline;
 *  - an update: a notice says a new version is ready and applies on the next
 *    load. A reload's request is sent before the old page goes away, so the
 *    old worker still answers it: that next load finds the update waiting,
 *    lets it take over (SKIP_WAITING) and reloads once into the new version.
 *    (Taking over on pagehide instead would be too late for that reload and
 *    too early for the old page's lazy chunks.) When every tab of the app is
 *    closed, the browser activates it anyway. The notice's button applies it
 *    at once.
 * Browsers without service workers (or pages outside a secure context) get
 * the app as before, online only.
 */
import { Workbox } from 'workbox-window'
import { createLogger } from '../log'
import { h } from './dom'

const log = createLogger('ui')

/** Guards against a reload loop if a waiting worker never takes control. */
const APPLIED_KEY = 'mindos:sw-applied-at'

/** Registers `/sw.js` and returns the (initially hidden) update notice to place on the page. */
export function registerAppShell(): HTMLElement {
  const reload = h('button', { type: 'button', testid: 'app-update-reload' }, 'Reload now')
  const notice = h(
    'div',
    { class: 'banner update-banner', testid: 'app-update', role: 'status', hidden: true },
    'A new version of MindOS Swarm is ready. It applies the next time this page loads.',
    reload,
  )
  const mark = (state: string): void => void (document.documentElement.dataset.appShell = state)
  if (!('serviceWorker' in navigator) || !isSecureContext) {
    mark('unsupported')
    return notice
  }
  mark('registering')
  const wb = new Workbox('/sw.js', { scope: '/' })
  const apply = (): void => {
    // The new worker claims its clients when it activates (clientsClaim): that is the moment to reload.
    navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true })
    wb.messageSkipWaiting()
  }
  wb.addEventListener('waiting', (ev) => {
    const recently = Number(sessionStorage.getItem(APPLIED_KEY) ?? 0) > Date.now() - 15_000
    if (ev.wasWaitingBeforeRegister && !recently) {
      // This is the "next load" the notice promised: switch to the new version now.
      sessionStorage.setItem(APPLIED_KEY, String(Date.now()))
      mark('applying-update')
      return apply()
    }
    notice.hidden = false
    mark('update-ready')
  })
  wb.addEventListener('activated', (ev) => {
    if (!ev.isUpdate) mark('ready')
  })
  reload.addEventListener('click', apply)
  wb.register().then(
    (reg) => {
      if (reg?.active && !reg.waiting && !reg.installing) mark('ready')
    },
    (err: unknown) => {
      mark('failed')
      log.warn('service worker registration failed: the app will not open offline', err)
    },
  )
  return notice
}
