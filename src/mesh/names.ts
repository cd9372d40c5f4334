/** Human-readable node names ("amber-otter"): easier to follow in a swarm panel than ids. */
import type { Random } from '../clock'

const ADJECTIVES = [
  'amber', 'brisk', 'calm', 'dapper', 'eager', 'fabled', 'gentle', 'hardy', 'ivory', 'jolly', 'keen', 'lucid',
  'mellow', 'nimble', 'opal', 'plucky', 'quiet', 'rapid', 'sage', 'tidal', 'umber', 'vivid', 'witty', 'young',
  'zesty', 'azure', 'bold', 'coral', 'dusky', 'ember', 'frosty', 'golden', 'hazel', 'indigo', 'jade', 'lunar',
]
const ANIMALS = [
  'otter', 'badger', 'crane', 'dingo', 'egret', 'ferret', 'gecko', 'heron', 'ibis', 'jackal', 'koala', 'lemur',
  'marten', 'newt', 'ocelot', 'puffin', 'quokka', 'raven', 'stoat', 'tapir', 'urchin', 'vole', 'walrus', 'yak',
  'zebra', 'bison', 'cobra', 'dove', 'eland', 'finch', 'gibbon', 'hare', 'impala', 'kestrel', 'lynx', 'moose',
]

function pick<T>(items: readonly T[], random: Random): T {
  return items[Math.floor(random.next() * items.length) % items.length] as T
}

export function generateNodeName(random: Random): string {
  return `${pick(ADJECTIVES, random)}-${pick(ANIMALS, random)}`
}

/** Room names for fresh join links: readable, with enough entropy (36^6) that nobody stumbles into one. */
export function generateRoomName(random: Random): string {
  const suffix = Math.floor(random.next() * 36 ** 6).toString(36).padStart(6, '0')
  return `${generateNodeName(random)}-${suffix}`
}
