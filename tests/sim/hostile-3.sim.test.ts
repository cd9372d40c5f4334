/** Hostile-node simulation, seeds 5050–5074 of 100 (hostile-run.ts has the scenario and the invariants). */
import { hostileSuite } from './hostile-run'

hostileSuite('part 3 of 4', 5050, 25)
