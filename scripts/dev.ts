/**
 * `npm run dev`: the signaling server (API only) plus Vite's dev server with
 * hot reload, which proxies /signal, /healthz, /metrics and /models to it
 * (see vite.config.ts). Open the Vite URL it prints.
 */
import { createServer } from 'vite'
import { startSwarmServer } from '../signaling-server/server'

const signalPort = Number(process.env.SIGNAL_PORT ?? 8787)
const signal = await startSwarmServer({ port: signalPort, host: '127.0.0.1' })
const vite = await createServer({ configFile: 'vite.config.ts' })
await vite.listen()
vite.printUrls()
process.stdout.write(`  signaling: ${signal.signalingUrl} (proxied at /signal)\n`)

const stop = async (): Promise<void> => {
  await Promise.allSettled([vite.close(), signal.close()])
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
