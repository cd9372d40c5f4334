/** Names the hostile client (client.ts) writes under, shared with the Node side of the tests. */
/** The map the flood helpers write into: the tests read its size in honest docs. */
export const JUNK_MAP = 'junk'
/** Written last by an attack: once an honest doc holds it, every earlier attack update has arrived (ordered channel). */
export const SENTINEL_MAP = 'hostile-sentinel'
