/** Names and markers the hostile client (client.ts) writes, shared with the Node side of the tests. */
/** The map the flood helpers write into: the tests read its size in honest docs. */
export const JUNK_MAP = 'junk'
/** Written last by an attack: once an honest doc holds it, every earlier attack update has arrived (ordered channel). */
export const SENTINEL_MAP = 'hostile-sentinel'
/** The signed board (README, "Contract for other clients"): address → envelope text. */
export const RECORDS_MAP = 'records'
/** The board of schema v2, before records were signed. */
export const OLD_NODES_MAP = 'nodes'
/** Text no honest tab may ever show: result texts, verdict reasons and partial output the hostile client forged. */
export const FORGED_RESULT = 'FORGED-RESULT-by-a-hostile-peer'
/** Text no honest tab may ever show: task titles and prompts the hostile client forged. */
export const FORGED_TASK = 'FORGED-TASK-under-an-honest-id'
/** Text in the hostile client's junk (non-envelope) values. */
export const FORGED_JUNK = 'FORGED-JUNK-never-rendered'
/** Every marker the honest pages are searched for. */
export const FORGED_MARKERS = [FORGED_RESULT, FORGED_TASK, FORGED_JUNK] as const
