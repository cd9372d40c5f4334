/**
 * Composition root: the only file that knows every subsystem. It reads the
 * URL, picks real implementations of each side effect, wires observers to the
 * Y.Doc and mounts the UI.
 */
import * as Y from 'yjs'
import './ui/styles.css'
import { systemClock, systemRandom } from './clock'
import { createLogger } from './log'
import { Board, indexedDbPersistence } from './board'
import {
  WebrtcMesh,
  acquireIdentity,
  indexedDbIdentityStore,
  joinLink,
  memoryIdentityStore,
  parseJoinParams,
  webLocks,
  NodeState,
  type Capabilities,
  type NodeIdentity,
  type PresenceInput,
} from './mesh'
import { createHeader } from './ui/header'
import { createSwarmPanel } from './ui/swarm-panel'
import { createBoardView } from './ui/board-view'
import { h } from './ui/dom'

const log = createLogger('main')
const ROOM_TOPIC_PREFIX = 'mindos-swarm/'

async function loadIdentity(): Promise<NodeIdentity> {
  try {
    return (await acquireIdentity(indexedDbIdentityStore(), webLocks(), systemRandom, systemClock.now())).identity
  } catch (err) {
    log.warn(`IndexedDB unavailable for the node identity (${String(err)}); using a session-only identity`)
    return (await acquireIdentity(memoryIdentityStore(), webLocks(), systemRandom, systemClock.now())).identity
  }
}

/** Main-thread WebGPU summary for presence (vendor/architecture only). */
async function gpuSummary(): Promise<Capabilities> {
  try {
    const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null
    if (!adapter) return { webgpu: false }
    return { webgpu: true, vendor: adapter.info.vendor, architecture: adapter.info.architecture }
  } catch {
    return { webgpu: false }
  }
}

async function start(root: HTMLElement): Promise<void> {
  const params = parseJoinParams(location)
  for (const problem of params.problems) log.warn(problem)
  const identity = await loadIdentity()
  const doc = new Y.Doc()
  const persistence = indexedDbPersistence(`mindos-board:${params.room}`, doc)
  const board = new Board(doc, systemClock, systemRandom)
  const mesh = new WebrtcMesh({
    doc,
    room: ROOM_TOPIC_PREFIX + params.room,
    password: params.key,
    signalingUrls: params.signalingUrls,
    iceServers: params.iceServers,
    clock: systemClock,
  })

  const header = createHeader({
    room: params.room,
    link: joinLink(location.origin, location.pathname, location.search, params.room, params.key),
    keyed: params.key !== undefined,
    problems: params.problems,
  })
  const swarmPanel = createSwarmPanel(identity)
  const boardView = createBoardView(board, identity, systemClock.now)
  root.replaceChildren(header.element, h('main', { class: 'layout' }, boardView.element, h('aside', { class: 'side' }, swarmPanel.element)))

  let caps: Capabilities = { webgpu: false }
  const presence = (): PresenceInput => ({
    id: identity.id,
    name: identity.name,
    appVersion: __APP_VERSION__,
    state: NodeState.ready,
    visible: document.visibilityState === 'visible',
    caps,
    load: 0,
  })
  const renderSwarm = (): void => {
    const peers = mesh.peers()
    header.update(mesh.status(), peers.length)
    swarmPanel.update({ ...presence(), v: 1, meshPeerId: '', hb: 0 }, peers)
  }
  mesh.setPresence(presence())
  mesh.onChange(renderSwarm)
  board.onChange(() => boardView.render())
  document.addEventListener('visibilitychange', () => mesh.setPresence(presence()))
  void persistence.loaded.then(() => boardView.render())
  void gpuSummary().then((c) => {
    caps = c
    mesh.setPresence(presence())
    renderSwarm()
  })
  boardView.render()
  renderSwarm()
  setInterval(() => boardView.render(), 30_000) // keeps "n min ago" honest
  log.info(`joined room "${params.room}" as ${identity.name} (${identity.id})`)
}

const root = document.getElementById('app')
if (root) {
  start(root).catch((err: unknown) => {
    log.error('failed to start', err)
    root.replaceChildren(h('div', { class: 'fatal', role: 'alert' }, `MindOS Swarm could not start: ${err instanceof Error ? err.message : String(err)}`))
  })
}
