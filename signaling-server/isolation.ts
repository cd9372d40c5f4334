/**
 * Headers that make the app's pages cross-origin isolated, on every response
 * of the server (and of Vite's dev and preview servers, vite.config.ts).
 *
 * Why: only an isolated page may create a SharedArrayBuffer, and the
 * inference client shares a one-slot abort flag with its worker through one
 * (src/inference/abort-flag.ts). With it, transformers.js on wasm no longer
 * gives its event loop a turn per token just so Stop can get in, which cost
 * 10–20 % of a small model's wall time.
 *
 * `require-corp` rather than `credentialless`: Safari supports only the
 * former. It blocks cross-origin subresources fetched without CORS that do
 * not opt in with Cross-Origin-Resource-Policy; the app loads none. Model
 * weights and WebLLM's model libraries come through fetch() in CORS mode
 * (Hugging Face and GitHub send Access-Control-Allow-Origin), and our model
 * mirror sends CORS headers itself (static.ts). A browser that ignores these
 * headers (or a page served by something else) is simply not isolated: the
 * engine then falls back to a turn per token.
 */
export const CROSS_ORIGIN_ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
}
