export { SwarmScheduler, DEFAULT_SCHEDULER_CONFIG, peerCandidate, type SchedulerConfig, type SelfProfile } from './swarm-scheduler'
export { BusyMeter, ExecutionSlot } from './execution-slot'
export { deriveBoard, isTerminal, TaskStatus, type DerivedTask } from './derive'
export { computeLedger, type LedgerRow } from './ledger'
