/**
 * Seeded swarm simulation: N nodes, each with a real Y.Doc, Board and
 * SwarmScheduler, the (fake, in-process) simulated engine, and a virtual
 * network driven by a ManualClock. Links behave like y-webrtc's ordered,
 * reliable data channels: updates arrive after a random delay, in order per
 * link; a link that goes down loses what is in flight, and coming back up
 * runs a full state exchange (y-webrtc's sync step 1/2). Nodes relay what
 * they receive and presence travels on the same links, as in y-webrtc.
 */
import * as Y from 'yjs'
import { Board } from '../../src/board/board'
import { ALL_ROLES } from '../../src/board/dag-schema'
import { seededRandom, type Random } from '../../src/clock'
import { createInProcessSimClient } from '../../src/inference/in-process-client'
import type { GenerateRequest, InferenceClient } from '../../src/inference/types'
import type { SimLengths } from '../../src/inference/sim'
import type { PeerView } from '../../src/mesh/peer-directory'
import { PRESENCE_VERSION, type NodeId } from '../../src/mesh/protocol'
import { BusyMeter, ExecutionSlot } from '../../src/scheduler/execution-slot'
import { SwarmScheduler, type SchedulerConfig } from '../../src/scheduler/swarm-scheduler'
import { ManualClock } from '../unit/fake-clock'
import { fakeSigner, fakeVerifier } from '../unit/fake-crypto'
import { EnvelopeVerifier } from '../../src/trust/envelope-verifier'
import { nodeIdFromKeyId, type Signer } from '../../src/trust/keys'
import { quorumForNewTask } from '../../src/scheduler/quorum'

export interface SimNode {
  readonly index: number
  readonly id: NodeId
  readonly name: string
  readonly doc: Y.Doc
  /** Hostile nodes' boards watch a detached doc: the node itself writes raw into `doc` (hostile-actor.ts). */
  readonly board: Board
  readonly signer: Signer
  /** A hostile node runs no scheduler and publishes no presence; it only attacks the doc. */
  readonly hostile: boolean
  readonly slot: ExecutionSlot
  readonly meter: BusyMeter
  readonly inference: InferenceClient
  scheduler: SwarmScheduler | null
  alive: boolean
  /** The presence this node last published (on every busy/idle change), as peers receive it. */
  published: PublishedState
  /** What this node has received of each peer's presence (by peer index). */
  readonly views: Map<number, PublishedState>
}

interface PublishedState {
  readonly busy: boolean
  readonly load: number
}

export interface Overlap {
  readonly run: string
  readonly nodes: readonly string[]
  readonly at: number
}

const NET = Symbol('net')
export const SIM_ROOM = 'sim'

export class SwarmSim {
  readonly clock = new ManualClock()
  readonly random: Random
  readonly nodes: SimNode[] = []
  /** `${i}-${j}` (i<j) → link is up */
  private readonly links = new Set<string>()
  private readonly linkEpoch = new Map<string, number>()
  /** Last time the mesh was not fully connected among alive nodes (a partition, kill or join). */
  lastDisturbance = 0
  readonly overlaps: Overlap[] = []
  /** New tasks get a verification quorum from each submitter's view, as in the app (quorum.ts); off: quorum 1. */
  quorum = false
  private readonly active = new Map<string, Set<string>>()

  constructor(
    readonly seed: number,
    private readonly config: Partial<SchedulerConfig> = {},
    private readonly tokensPerSec = 40,
    /** Give every node's engine the same seed, so outputs don't depend on which node ran what (like tabs sharing ?seed=). */
    private readonly sharedEngineSeed = false,
    /** The simulated engine's workload profile (reply length per role, plan width); default: its realistic defaults. */
    private readonly engine: { readonly lengths?: Partial<SimLengths>; readonly planSteps?: number } = {},
  ) {
    this.random = seededRandom(seed)
  }

  addNode(opts: { hostile?: boolean } = {}): SimNode {
    const hostile = opts.hostile ?? false
    const index = this.nodes.length
    // FAKE keys (tests/unit/fake-crypto.ts): every record is signed and verified as in the app, at no virtual cost.
    const signer = fakeSigner(`sim-${this.seed}-${index}`)
    const id = nodeIdFromKeyId(signer.keyId)
    const doc = new Y.Doc()
    const verification = () => {
      const seen = this.peersOf(this.nodes[index]!).map((p) => p.presence.id)
      return { quorum: this.quorum ? quorumForNewTask(undefined, seen.length + 1) : 1, verifiers: [id, ...seen] }
    }
    const board = new Board({ doc: hostile ? new Y.Doc() : doc, room: SIM_ROOM, clock: this.clock, random: seededRandom(this.seed * 100 + index), signer, verifier: new EnvelopeVerifier(fakeVerifier), verification })
    const node: SimNode = { index, id, name: `sim-${index}`, doc, board, signer, hostile, slot: new ExecutionSlot(), meter: new BusyMeter(() => this.clock.now()), inference: this.trackedInference(id, index), scheduler: null, alive: true, published: { busy: false, load: 0 }, views: new Map() }
    this.nodes.push(node)
    node.slot.onChange((busy) => {
      node.meter.set(busy)
      // Presence travels like awareness in y-webrtc: on the same ordered links as board updates.
      node.published = { busy, load: node.meter.load() }
      for (const other of this.nodes) if (other !== node) this.sendPresence(node, other)
    })
    // Like y-webrtc, every update a node applies (its own or a peer's) goes on to all its peers:
    // that relaying is what heals an update lost with a dying link (Yjs drops the duplicates).
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      const from = (origin as { [NET]?: number } | null)?.[NET]
      for (const other of this.nodes) if (other !== node && other.index !== from) this.send(node, other, update)
    })
    for (const other of this.nodes) if (other !== node && other.alive) this.connect(node, other)
    this.lastDisturbance = this.clock.now()
    return node
  }

  /** Loads the engine and starts the node's scheduler. */
  async start(node: SimNode): Promise<void> {
    await this.clock.runUntilSettled(node.inference.load('sim-fast', () => {}))
    node.scheduler = new SwarmScheduler({
      board: node.board,
      self: { id: node.id, name: node.name },
      peers: () => this.peersOf(node),
      profile: () => ({ roles: ALL_ROLES, tokensPerSec: this.tokensPerSec, load: node.published.load, visible: true, canWork: node.alive }),
      inference: node.inference,
      clock: this.clock,
      slot: node.slot,
      config: this.config,
    })
  }

  kill(node: SimNode): void {
    node.alive = false
    node.scheduler?.destroy()
    node.scheduler = null
    for (const other of this.nodes) this.disconnect(node, other)
    this.lastDisturbance = this.clock.now()
  }

  partition(groupA: readonly SimNode[]): void {
    for (const a of groupA) for (const b of this.nodes) if (!groupA.includes(b)) this.disconnect(a, b)
    this.lastDisturbance = this.clock.now()
  }

  healAll(): void {
    for (const a of this.nodes) for (const b of this.nodes) if (a.index < b.index && a.alive && b.alive) this.connect(a, b)
    this.lastDisturbance = this.clock.now()
  }

  alive(): SimNode[] {
    return this.nodes.filter((n) => n.alive)
  }

  honest(): SimNode[] {
    return this.nodes.filter((n) => n.alive && !n.hostile)
  }

  private linkKey(a: SimNode, b: SimNode): string {
    return a.index < b.index ? `${a.index}-${b.index}` : `${b.index}-${a.index}`
  }

  isLinked(a: SimNode, b: SimNode): boolean {
    return this.links.has(this.linkKey(a, b))
  }

  private connect(a: SimNode, b: SimNode): void {
    const key = this.linkKey(a, b)
    if (this.links.has(key) || !a.alive || !b.alive) return
    this.links.add(key)
    this.linkEpoch.set(key, (this.linkEpoch.get(key) ?? 0) + 1)
    // Sync step 1/2 in both directions, like y-webrtc on connect.
    this.send(a, b, Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b.doc)))
    this.send(b, a, Y.encodeStateAsUpdate(b.doc, Y.encodeStateVector(a.doc)))
    this.sendPresence(a, b)
    this.sendPresence(b, a)
    a.scheduler?.poke()
    b.scheduler?.poke()
  }

  private disconnect(a: SimNode, b: SimNode): void {
    const key = this.linkKey(a, b)
    if (!this.links.delete(key)) return
    this.linkEpoch.set(key, (this.linkEpoch.get(key) ?? 0) + 1)
    a.views.delete(b.index)
    b.views.delete(a.index)
    a.scheduler?.poke()
    b.scheduler?.poke()
  }

  /** In-order delivery per link after a random delay; lost if the link drops meanwhile. */
  private readonly lastDelivery = new Map<string, number>()
  private send(from: SimNode, to: SimNode, update: Uint8Array): void {
    this.deliver(from, to, () => Y.applyUpdate(to.doc, update, { [NET]: from.index }))
  }

  private sendPresence(from: SimNode, to: SimNode): void {
    const state = from.published
    this.deliver(from, to, () => {
      to.views.set(from.index, state)
      to.scheduler?.poke()
    })
  }

  private deliver(from: SimNode, to: SimNode, apply: () => void): void {
    const key = this.linkKey(from, to)
    if (!this.links.has(key)) return
    const epoch = this.linkEpoch.get(key)
    const dirKey = `${from.index}>${to.index}`
    const at = Math.max(this.clock.now() + 5 + Math.floor(this.random.next() * 60), this.lastDelivery.get(dirKey) ?? 0)
    this.lastDelivery.set(dirKey, at)
    this.clock.setTimeout(() => {
      if (this.linkEpoch.get(key) !== epoch || !to.alive) return
      apply()
    }, at - this.clock.now())
  }

  peersOf(node: SimNode): PeerView[] {
    return this.nodes
      .filter((o) => o !== node && o.alive && !o.hostile && this.isLinked(node, o) && node.views.has(o.index))
      .map((o) => ({
        clientId: o.index,
        direct: true,
        lastSeen: this.clock.now(),
        presence: {
          v: PRESENCE_VERSION,
          id: o.id,
          name: o.name,
          appVersion: 'sim',
          state: node.views.get(o.index)!.busy ? 'busy' : 'ready',
          visible: true,
          meshPeerId: `mesh-${o.index}`,
          caps: { webgpu: false, engine: 'sim', simulated: true, engineState: 'ready', tokensPerSec: this.tokensPerSec, roles: ALL_ROLES },
          load: node.views.get(o.index)!.load,
          hb: 0,
        },
      }))
  }

  /** Wraps the engine to record when two nodes generate for the same (task, attempt) at once. */
  private trackedInference(id: NodeId, index: number): InferenceClient {
    const inner = createInProcessSimClient({ clock: this.clock, seed: this.sharedEngineSeed ? this.seed : this.seed * 1000 + index, tokensPerSec: this.tokensPerSec, loadMs: 10, ...this.engine })
    const generate = async (req: GenerateRequest, onToken: (d: string) => void) => {
      const run = (req.runId ?? '').replace(/-\d+$/, '')
      const set = this.active.get(run) ?? new Set<string>()
      this.active.set(run, set)
      set.add(id)
      if (set.size > 1) this.overlaps.push({ run, nodes: [...set], at: this.clock.now() })
      try {
        return await inner.generate(req, onToken)
      } finally {
        set.delete(id)
      }
    }
    void index
    return { ...bindAll(inner), generate }
  }
}

function bindAll(client: InferenceClient): InferenceClient {
  return {
    probe: () => client.probe(),
    listModels: () => client.listModels(),
    load: (m, p) => client.load(m, p),
    generate: (r, t) => client.generate(r, t),
    abort: (r) => client.abort(r),
    unload: () => client.unload(),
    cacheStatus: () => client.cacheStatus(),
    deleteFromCache: (m) => client.deleteFromCache(m),
    stats: () => client.stats(),
    destroy: () => client.destroy(),
  }
}
