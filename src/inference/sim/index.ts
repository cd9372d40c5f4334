/** The simulated engine's public surface (selected only explicitly: `?engine=sim` or tests). */
export { SimEngine, SIM_MODEL, SIM_PROBE, type SimEngineOptions } from './sim-engine'
export { generateFromSchema } from './schema-gen'
export { SIM_PREFIX, keywords, tokenize } from './text-gen'
export { DEFAULT_SIM_LENGTHS, SIM_ROLES, isSimPlanSteps, parseSimLengths, simLengths, simRoleOf, type SimLengths, type SimRole } from './profile'
