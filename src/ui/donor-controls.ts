/** Which roles this tab takes on, and pausing donation without leaving the swarm. */
import { ALL_ROLES, type Role } from '../board'
import type { KeyValueStore } from '../inference'
import { h } from './dom'

export interface DonorSettings {
  readonly roles: readonly Role[]
  readonly paused: boolean
}

const KEY = 'mindos:donor-settings'

export function loadDonorSettings(store: KeyValueStore): DonorSettings {
  try {
    const raw = JSON.parse(store.get(KEY) ?? 'null') as Partial<DonorSettings> | null
    const roles = Array.isArray(raw?.roles) ? raw.roles.filter((r): r is Role => ALL_ROLES.includes(r as Role)) : [...ALL_ROLES]
    return { roles, paused: raw?.paused === true }
  } catch {
    return { roles: [...ALL_ROLES], paused: false }
  }
}

export function createDonorControls(store: KeyValueStore, initial: DonorSettings, onChange: (s: DonorSettings) => void): HTMLElement {
  let settings = initial
  const update = (next: DonorSettings): void => {
    settings = next
    store.set(KEY, JSON.stringify(next))
    pause.textContent = next.paused ? 'Resume donating' : 'Pause donating'
    pause.dataset.paused = String(next.paused)
    onChange(next)
  }
  const boxes = ALL_ROLES.map((role) => {
    const box = h('input', { type: 'checkbox', testid: 'role-toggle', 'data-role': role, checked: settings.roles.includes(role) })
    box.addEventListener('change', () => update({ ...settings, roles: ALL_ROLES.filter((r) => (r === role ? box.checked : settings.roles.includes(r))) }))
    return h('label', { class: 'small role-box' }, box, ` ${role}`)
  })
  const pause = h('button', { type: 'button', testid: 'pause-toggle', 'data-paused': String(settings.paused) }, settings.paused ? 'Resume donating' : 'Pause donating')
  pause.addEventListener('click', () => update({ ...settings, paused: !settings.paused }))
  return h('div', { class: 'donor' }, h('div', { class: 'small muted' }, 'Roles this tab takes on:'), h('div', { class: 'roles' }, ...boxes), pause)
}
