import { readFileSync } from 'node:fs'
import { defineConfig } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'
import { CROSS_ORIGIN_ISOLATION_HEADERS } from './signaling-server/isolation'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string }

/** Paths the server owns: never answered from the app shell, never cached by the service worker. */
const SERVER_PATHS = [/^\/models\//, /^\/signal/, /^\/healthz/, /^\/metrics/, /^\/ca\.pem$/]

/**
 * One page plus the inference worker. The worker is an ES module worker so it
 * can import web-llm lazily. `npm run dev` proxies signaling to the Node server.
 *
 * The service worker (Workbox, through vite-plugin-pwa) precaches the app
 * shell: HTML, JS (the inference worker's code included), CSS, icons, so a
 * reload with the server down still opens the app and its board (IndexedDB).
 * It never caches model weights (the engines' own caches own them, and
 * /models/ is not even routed through it); ONNX Runtime's .wasm, engine code
 * of 25 MB, is cached on first use rather than precached. `prompt` mode: an
 * update waits until src/ui/app-update.ts lets it apply on the next load.
 */
export default defineConfig({
  root: '.',
  build: { outDir: 'dist', target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 8_000 },
  worker: { format: 'es' },
  plugins: [
    VitePWA({
      registerType: 'prompt',
      includeManifestIcons: false, // the glob below already precaches public/icons
      injectRegister: false, // src/ui/app-update.ts registers it with workbox-window
      manifest: {
        name: 'MindOS Swarm',
        short_name: 'Swarm',
        description: 'A browser-native AI swarm: every tab is a node on a WebRTC mesh sharing one task board.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#0f1216',
        theme_color: '#171b21',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{html,js,css,png,svg,ico,webmanifest}'],
        // The inference worker bundles WebLLM (~6 MB): it is app code, and the app starts offline only with it.
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        navigateFallback: 'index.html',
        navigateFallbackDenylist: SERVER_PATHS,
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        runtimeCaching: [
          {
            urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname.startsWith('/assets/') && url.pathname.endsWith('.wasm'),
            handler: 'CacheFirst',
            options: { cacheName: 'mindos-engine-runtime', expiration: { maxEntries: 4 } },
          },
        ],
      },
    }),
  ],
  // The same headers as the Node server's, so `npm run dev` pages get a SharedArrayBuffer too (signaling-server/isolation.ts).
  preview: { headers: { ...CROSS_ORIGIN_ISOLATION_HEADERS } },
  server: {
    host: '127.0.0.1',
    headers: { ...CROSS_ORIGIN_ISOLATION_HEADERS },
    proxy: {
      '/signal': { target: `ws://127.0.0.1:${process.env.SIGNAL_PORT ?? 8787}`, ws: true },
      '/healthz': `http://127.0.0.1:${process.env.SIGNAL_PORT ?? 8787}`,
      '/metrics': `http://127.0.0.1:${process.env.SIGNAL_PORT ?? 8787}`,
      '/models': `http://127.0.0.1:${process.env.SIGNAL_PORT ?? 8787}`,
    },
  },
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
})
