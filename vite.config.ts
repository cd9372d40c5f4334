import { readFileSync } from 'node:fs'
import { defineConfig } from 'vite'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string }

/**
 * One page plus the inference worker. The worker is an ES module worker so it
 * can import web-llm lazily. `npm run dev` proxies signaling to the Node server.
 */
export default defineConfig({
  root: '.',
  build: { outDir: 'dist', target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 8_000 },
  worker: { format: 'es' },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/signal': { target: `ws://127.0.0.1:${process.env.SIGNAL_PORT ?? 8787}`, ws: true },
      '/healthz': `http://127.0.0.1:${process.env.SIGNAL_PORT ?? 8787}`,
      '/metrics': `http://127.0.0.1:${process.env.SIGNAL_PORT ?? 8787}`,
      '/models': `http://127.0.0.1:${process.env.SIGNAL_PORT ?? 8787}`,
    },
  },
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
})
