/** Hostile-node simulation, seeds 5025–5049 of 100 (hostile-run.ts has the scenario and the invariants). */
import { hostileSuite } from './hostile-run'

hostileSuite('part 2 of 4', 5025, 25)
