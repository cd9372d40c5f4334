/**
 * Composition root: the only file that knows every subsystem. It reads the
 * URL, picks real implementations of each side effect, wires observers to the
 * Y.Docs and mounts the UI.
 */
import * as Y from 'yjs'
import './ui/styles.css'
import { systemClock, systemRandom } from './clock'
import { createWorkerClock } from './worker-clock'
import { createLogger } from './log'
import { Board, debugBoard, debugRecords, indexedDbPersistence } from './board'
import { debugDerived } from './scheduler/debug-derived'
import {
  WebrtcMesh,
  acquireIdentity,
  indexedDbIdentityStore,
  joinLink,
  memoryIdentityStore,
  parseJoinParams,
  nodeStateOf,
  presenceIdentity,
  webLocks,
  type Capabilities,
  type SigningIdentity,
  type PresenceInput,
} from './mesh'
import { EngineController, browserStore, createWorkerInferenceClient, parseInferenceParams } from './inference'
import { EnvelopeVerifier, VerifiedStore, indexedDbEnvelopeStorage, memoryEnvelopeStorage, webCryptoVault, webCryptoVerifier } from './trust'
import { BusyMeter, ExecutionSlot, SwarmScheduler, computeLedger, computeReputation, deriveBoard, quorumForNewTask, type DerivedTask } from './scheduler'
import { createHeader } from './ui/header'
import { createSwarmPanel } from './ui/swarm-panel'
import { createBoardView } from './ui/board-view'
import { createGraphView } from './ui/graph-view'
import { createNodeDetail } from './ui/node-detail'
import { createFinalAnswer } from './ui/final-answer'
import { createDonorControls, loadDonorSettings } from './ui/donor-controls'
import { mountNodePanel } from './ui/node-panel'
import { installDonorBridge, isDonorPage } from './bridge'
import { contributionKinds, outputKind, type OutputKind } from './ui/labels'
import { explainStalls, memberFromPresence, recommendedModel, type StallAction, type SwarmMember } from './ui/stall'
import { h } from './ui/dom'
import { registerAppShell } from './ui/app-update'

const log = createLogger('main')
const ROOM_TOPIC_PREFIX = 'mindos-swarm/'

async function loadIdentity(): Promise<SigningIdentity> {
  try {
    return (await acquireIdentity(indexedDbIdentityStore(), webLocks(), webCryptoVault(), systemRandom, systemClock.now())).identity
  } catch (err) {
    log.warn(`IndexedDB unavailable for the node identity (${String(err)}); using a session-only identity`)
    return (await acquireIdentity(memoryIdentityStore(), webLocks(), webCryptoVault(), systemRandom, systemClock.now())).identity
  }
}

async function start(root: HTMLElement): Promise<void> {
  const params = parseJoinParams(location)
  const inferenceParams = parseInferenceParams(location.search, location.href)
  const problems = [...params.problems, ...inferenceParams.problems]
  for (const problem of problems) log.warn(problem)
  const identity = await loadIdentity()
  const store = browserStore()

  // Shared board: synced by the mesh, kept in IndexedDB. Private board: IndexedDB only, never meshed.
  // Lease beats, scheduler ticks and presence heartbeats on a worker timer: hidden tabs keep their leases and stay in peer lists.
  const leaseClock = createWorkerClock()
  const doc = new Y.Doc()
  const persistence = indexedDbPersistence(`mindos-board:${params.room}`, doc, systemClock)
  // Every board record is signed by this tab's key and verified on read; what verified is kept locally, so deletion is not loss.
  const verifier = new EnvelopeVerifier(webCryptoVerifier())
  const envelopeStorage = (() => {
    try {
      return indexedDbEnvelopeStorage()
    } catch (err) {
      log.warn(`IndexedDB unavailable for verified records (${String(err)}); keeping them for this session only`)
      return memoryEnvelopeStorage()
    }
  })()
  const privateRoom = `${params.room}/private/${identity.id}`
  const [sharedStore, privateStore] = await Promise.all([VerifiedStore.open(envelopeStorage, params.room), VerifiedStore.open(envelopeStorage, privateRoom)])
  const boardDeps = { clock: systemClock, random: systemRandom, signer: identity.signer, verifier }
  // A new public task's quorum: the room's #quorum, else 2 once 3 tabs can verify; only keys seen now may fill it.
  const verification = () => {
    // Every key-bound peer is listed (listed keys outrank keys made later, authorize.ts); tabs that verify size the quorum.
    const seen = mesh.peers().filter((p) => presenceIdentity(p.presence) === 'key-bound')
    const verifierTabs = seen.filter((p) => (p.presence.caps.roles ?? []).includes('verifier')).length + (donor.roles.includes('verifier') ? 1 : 0)
    return { quorum: quorumForNewTask(params.quorum, verifierTabs), verifiers: [identity.id, ...seen.map((p) => p.presence.id)] }
  }
  const board = new Board({ ...boardDeps, doc, room: params.room, store: sharedStore, verification })
  const privateDoc = new Y.Doc()
  const privatePersistence = indexedDbPersistence(`mindos-private:${params.room}:${identity.id}`, privateDoc, systemClock)
  const privateBoard = new Board({ ...boardDeps, doc: privateDoc, room: privateRoom, store: privateStore, isPrivate: true })
  const mesh = new WebrtcMesh({
    doc,
    room: ROOM_TOPIC_PREFIX + params.room,
    password: params.key,
    signalingUrls: params.signalingUrls,
    iceServers: params.iceServers,
    clock: leaseClock,
    ...(identity.keyId ? { keyId: identity.keyId } : {}),
  })

  const client = createWorkerInferenceClient(inferenceParams)
  const controller = new EngineController({
    client,
    store,
    autoload: inferenceParams.autoload || inferenceParams.engine === 'sim',
    ...(inferenceParams.model ? { preferredModel: inferenceParams.model } : {}),
  })
  const inference = controller.asClient()
  const slot = new ExecutionSlot()
  const busyMeter = new BusyMeter(systemClock.now)
  slot.onChange((busy) => busyMeter.set(busy))
  let donor = loadDonorSettings(store)
  let publishedLoad = 0
  const profile = () => {
    const s = controller.summary()
    // The load peers last saw from us, so every tab ranks this one alike (policy.ts assigns tasks by rank).
    // Not while the engine generates with the slot free: that is the try box, and a role claimed now would only get
    // BUSY from the engine and spend an attempt. (A role's own generation holds the slot, which stops claims anyway.)
    return { roles: donor.roles, tokensPerSec: s.tokensPerSec ?? 0, load: publishedLoad, visible: document.visibilityState === 'visible', canWork: board.writable && !donor.paused && s.state === 'ready' }
  }
  const self = { id: identity.id, name: identity.name }
  const schedulers = [
    new SwarmScheduler({ board, self, peers: () => mesh.peers(), profile, inference, clock: leaseClock, slot }),
    new SwarmScheduler({ board: privateBoard, self, peers: () => [], profile, inference, clock: leaseClock, slot }),
  ]
  // Thawed: look at once (the scheduler also notices the lost time on its own).
  document.addEventListener('resume', () => schedulers.forEach((s) => s.poke()))

  // ---- UI ----
  let selectedRoot: string | null = null
  let selectedNode: string | null = null
  const header = createHeader({ room: params.room, link: joinLink(location.origin, location.pathname, location.search, params.room, params.key), keyed: params.key !== undefined, problems })
  const swarmPanel = createSwarmPanel(identity)
  // One-click fixes offered by the swarm notice (src/ui/stall.ts).
  const onStallAction = (a: StallAction): void => {
    if (a.kind === 'load') void controller.load(a.modelId)
    else if (a.kind === 'resume') donorControls.update({ ...donor, paused: false })
    else donorControls.update({ ...donor, roles: [...new Set([...donor.roles, a.role])] })
  }
  const graph = createGraphView((id) => {
    selectedNode = id
    render()
  })
  const detail = createNodeDetail()
  const finalAnswer = createFinalAnswer(onStallAction)
  const boardView = createBoardView(board, privateBoard, identity, (id) => {
    selectedRoot = id
    selectedNode = null
    render()
  }, onStallAction)
  const nodePanelHost = h('section', { class: 'panel' })
  const applyDonor = (next: typeof donor): void => {
    donor = next
    publishPresence()
    schedulers.forEach((s) => s.poke())
    render() // the swarm notice depends on this tab's roles and pause
  }
  const donorControls = createDonorControls(store, donor, applyDonor)
  root.replaceChildren(
    header.element,
    registerAppShell(),
    h(
      'main',
      { class: 'layout' },
      h('div', { class: 'work' }, boardView.element, finalAnswer.element, graph.element, detail.element),
      h('aside', { class: 'side' }, swarmPanel.element, nodePanelHost, h('section', { class: 'panel' }, h('h2', {}, 'Donation'), donorControls.element)),
    ),
  )
  mountNodePanel(nodePanelHost, controller)

  // ---- presence ----
  const presence = (): PresenceInput => {
    const s = controller.summary()
    const probe = controller.snapshot().probe
    const caps: Capabilities = {
      webgpu: probe?.webgpu ?? false,
      ...(probe?.adapter ? { vendor: probe.adapter.vendor, architecture: probe.adapter.architecture } : {}),
      engine: s.engine,
      simulated: s.simulated,
      backend: s.backend,
      model: s.model,
      tokensPerSec: s.tokensPerSec,
      engineState: s.state,
      roles: donor.roles,
    }
    const state = nodeStateOf({ paused: donor.paused, slotFree: slot.isFree(), engineState: s.state })
    return { id: identity.id, name: identity.name, appVersion: __APP_VERSION__, state, visible: document.visibilityState === 'visible', caps, load: busyMeter.load() }
  }
  const publishPresence = (): void => {
    const p = presence()
    publishedLoad = p.load
    mesh.setPresence(p)
  }

  // ---- rendering (batched to one frame) ----
  let frame = 0
  const render = (): void => {
    if (frame) return
    frame = requestAnimationFrame(() => {
      frame = 0
      const now = systemClock.now()
      const sharedDerived = deriveBoard(board.snapshot())
      const privateDerived = deriveBoard(privateBoard.snapshot())
      const all = new Map<string, DerivedTask>([...sharedDerived, ...privateDerived])
      const roots = [...all.values()].filter((d) => d.task.kind === 'root').sort((a, b) => b.task.createdAt - a.task.createdAt)
      if (!selectedRoot || !all.has(selectedRoot)) selectedRoot = roots[0]?.task.id ?? null
      const peers = mesh.peers()
      const names = new Map<string, string>([[identity.id, `${identity.name} (this tab)`], ...peers.map((p) => [p.presence.id, p.presence.name] as [string, string])])
      const nameOf = (node: string): string => names.get(node) ?? nameFromBoard(all, node) ?? node.slice(0, 8)
      header.update(mesh.status(), peers.length)
      header.setBoardNotice(boardNotice(board))
      const distrusted = board.distrusted()
      const reputation = computeReputation(sharedDerived.values(), distrusted)
      swarmPanel.update({ ...presence(), v: 1, meshPeerId: '', hb: 0 }, peers, computeLedger(sharedDerived.values(), reputation), contributionKinds(sharedDerived.values()), {
        reputation,
        boardRejections: board.rejections(),
        transportRejections: mesh.rejections(),
        distrusted,
        now,
      })
      const snap = controller.snapshot()
      const me: SwarmMember = { name: identity.name, self: true, paused: donor.paused, roles: donor.roles, engineState: snap.state, model: snap.loadedModel, ...(snap.lastError ? { error: `${snap.lastError.code}: ${snap.lastError.message}` } : {}) }
      const recommended = recommendedModel(snap)
      // The private board runs on this tab only: only this tab can unblock it.
      const notices = new Map([...explainStalls(sharedDerived, [me, ...peers.map((p) => memberFromPresence(p.presence))], recommended), ...explainStalls(privateDerived, [me], recommended)])
      const kinds = new Map<string, OutputKind>([[identity.id, outputKind({ simulated: snap.simulated, model: snap.loadedModel ?? '' })], ...peers.map((p) => [p.presence.id, outputKind({ simulated: p.presence.caps.simulated === true, model: p.presence.caps.model ?? '' })] as [string, OutputKind])])
      boardView.render([{ board, derived: sharedDerived }, { board: privateBoard, derived: privateDerived }], selectedRoot, now, notices)
      finalAnswer.render(selectedRoot ? (all.get(selectedRoot) ?? null) : null, selectedRoot ? notices.get(selectedRoot) : undefined, reputation)
      graph.render(selectedRoot, all, nameOf, selectedNode)
      detail.render(selectedNode ? (all.get(selectedNode) ?? null) : null, all, (node) => kinds.get(node), reputation)
    })
  }

  mesh.onChange(() => {
    render()
    schedulers[0]!.poke()
  })
  board.onChange(render)
  privateBoard.onChange(render)
  // The schedulers read the engine through profile() only: poke them when that changed, not on every notification
  // (a download reports progress many times a second, and each poke re-derives a board).
  let pokedProfile = ''
  controller.subscribe(() => {
    publishPresence()
    const key = JSON.stringify(profile())
    if (key !== pokedProfile) {
      pokedProfile = key
      schedulers.forEach((s) => s.poke())
    }
    render()
  })
  slot.onChange((busy) => {
    publishPresence()
    // A freed slot is work either scheduler may take now; the engine's own notification no longer pokes when nothing it reports changed.
    if (!busy) schedulers.forEach((s) => s.poke())
    render()
  })
  document.addEventListener('visibilitychange', publishPresence)
  // Storage trouble (quota, write errors) shows in the header; the tab keeps working from memory.
  const showStorage = (): void => header.setStorageProblem([persistence.status(), privatePersistence.status()].map((s) => (s.state === 'failing' ? s.message : null)).find((m) => m !== null) ?? null)
  persistence.onStatus(showStorage)
  privatePersistence.onStatus(showStorage)
  void persistence.loaded.then(render)
  void privatePersistence.loaded.then(render)
  setInterval(render, 30_000) // keeps "n min ago" honest
  publishPresence()
  void controller.start()
  render()
  // A headless donor tab (`npm run donor`) drives this page through the bridge.
  if (isDonorPage(location.search)) {
    installDonorBridge({
      room: params.room,
      board,
      identity,
      peers: () => mesh.peers(),
      signaling: () => mesh.status().signaling,
      engine: () => {
        const snap = controller.snapshot()
        return { ...controller.summary(), progress: snap.progress, lastError: snap.lastError?.message ?? null }
      },
      busy: () => !slot.isFree(),
      donor: () => donor,
      setRoles: (roles) => applyDonor({ ...donor, roles }), // in memory: the donor sets them on every start
      onStatusChange: (listener) => {
        const offs = [mesh.onChange(listener), controller.subscribe(listener), slot.onChange(listener)]
        return () => offs.forEach((off) => off())
      },
    })
  }
  // Devtools and e2e diagnostics only; nothing in the app reads it.
  ;(window as unknown as { __mindos?: unknown }).__mindos = { mesh: () => mesh.debugSnapshot(), tasks: () => debugBoard(board), records: () => debugRecords(board), derived: () => debugDerived(board.snapshot()), peers: () => mesh.peers().map((p) => p.presence.id), identity, doc, board, inference: client }
  log.info(`joined room "${params.room}" as ${identity.name} (${identity.id})`)
}

/** What a person should know about the board itself: an older unsigned board in storage, or a tab that cannot sign. */
function boardNotice(board: Board): string | null {
  if (!board.writable) return 'This tab has no signing key (WebCrypto is unavailable here): it shows the board but cannot add tasks or work on them.'
  const old = board.legacyTaskCount()
  if (old > 0) return `This room also holds ${old} entr${old === 1 ? 'y' : 'ies'} of an older, unsigned board format. They are not shown: unsigned records cannot be told apart from forgeries.`
  return null
}

/** A node that left still has a name on the board: the claims and results it wrote. */
function nameFromBoard(all: ReadonlyMap<string, DerivedTask>, node: string): string | undefined {
  for (const d of all.values()) {
    for (const c of d.task.claims.values()) if (c.node === node) return c.name
    for (const r of d.task.results.values()) if (r.provenance.node === node) return r.provenance.name
  }
  return undefined
}

const root = document.getElementById('app')
if (root) {
  start(root).catch((err: unknown) => {
    log.error('failed to start', err)
    root.replaceChildren(h('div', { class: 'fatal', role: 'alert' }, `MindOS Swarm could not start: ${err instanceof Error ? err.message : String(err)}`))
  })
}
