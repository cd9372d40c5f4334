/** Hostile-node simulation, seeds 5075–5099 of 100 (hostile-run.ts has the scenario and the invariants). */
import { hostileSuite } from './hostile-run'

hostileSuite('part 4 of 4', 5075, 25)
