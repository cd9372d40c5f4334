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

export interface DonorControls {
  readonly element: HTMLElement
  /** Applies a change made elsewhere (the swarm notice's one-click fixes) as if the user had made it here. */
  update(next: DonorSettings): void
  current(): DonorSettings
}

export function createDonorControls(store: KeyValueStore, initial: DonorSettings, onChange: (s: DonorSettings) => void): DonorControls {
  let settings = initial
  const update = (next: DonorSettings): void => {
    settings = next
    store.set(KEY, JSON.stringify(next))
    pause.textContent = next.paused ? 'Resume donating' : 'Pause donating'
    pause.dataset.paused = String(next.paused)
    for (const box of boxes) box.checked = next.roles.includes(box.dataset.role as Role)
    onChange(next)
  }
  const boxes = ALL_ROLES.map((role) => {
    const box = h('input', { type: 'checkbox', testid: 'role-toggle', 'data-role': role, checked: settings.roles.includes(role) })
    box.addEventListener('change', () => update({ ...settings, roles: ALL_ROLES.filter((r) => (r === role ? box.checked : settings.roles.includes(r))) }))
    return box
  })
  const pause = h('button', { type: 'button', testid: 'pause-toggle', 'data-paused': String(settings.paused) }, settings.paused ? 'Resume donating' : 'Pause donating')
  pause.addEventListener('click', () => update({ ...settings, paused: !settings.paused }))
  const labels = boxes.map((box) => h('label', { class: 'small role-box' }, box, ` ${box.dataset.role}`))
  const element = h('div', { class: 'donor' }, h('div', { class: 'small muted' }, 'Roles this tab takes on:'), h('div', { class: 'roles' }, ...labels), pause)
  return { element, update, current: () => settings }
}
