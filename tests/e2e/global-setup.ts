import { buildIfNeeded } from '../../signaling-server/build-if-needed'
import { ensureTinyFixture } from '../../signaling-server/tiny-fixture'

/** The e2e specs serve the built app and the tiny fixture model: build both once before any spec runs. */
export default async function globalSetup(): Promise<void> {
  await Promise.all([buildIfNeeded({ force: process.env.CI === 'true' }), ensureTinyFixture()])
}
