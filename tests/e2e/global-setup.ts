import { buildIfNeeded } from '../../signaling-server/build-if-needed'

/** The e2e specs serve the built app, so build it once before any spec runs. */
export default async function globalSetup(): Promise<void> {
  await buildIfNeeded({ force: process.env.CI === 'true' })
}
