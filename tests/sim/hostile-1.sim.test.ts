/** Hostile-node simulation, seeds 5000–5024 of 100 (hostile-run.ts has the scenario and the invariants). */
import { hostileSuite } from './hostile-run'

hostileSuite('part 1 of 4', 5000, 25)
