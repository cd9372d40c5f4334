/**
 * Loads @mlc-ai/web-xgrammar in Node (unit tests and the bench). The package
 * ships one UMD file inside a `"type": "module"` package: imported natively,
 * it runs as an ES module, finds no `exports`, and its Emscripten glue calls
 * `require` (undefined in ESM). Vite bundles it as CommonJS, so in the worker
 * a plain dynamic import works (workers/json-grammar.ts); here it is run the
 * way Node runs a CommonJS file, with a real `require`, `module` and
 * `__filename`. Same code, same inlined wasm: only the module wrapper differs.
 */
import { readFileSync } from 'node:fs'
import { createRequire, Module } from 'node:module'
import path from 'node:path'
import type { XGrammar } from '../../workers/json-grammar'

let loaded: Promise<XGrammar> | null = null

export function loadXGrammarInNode(): Promise<XGrammar> {
  loaded ??= Promise.resolve().then(() => {
    const require = createRequire(import.meta.url)
    const file = require.resolve('@mlc-ai/web-xgrammar')
    // Node's own CommonJS loader compiles it (not `new Function` or vm): the glue's `await import('module')` then works under vitest too.
    type CjsModule = InstanceType<typeof Module> & { _compile(code: string, filename: string): void; paths: string[]; filename: string }
    const cjs = new Module(file) as CjsModule
    cjs.filename = file
    cjs.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file))
    cjs._compile(readFileSync(file, 'utf8'), file)
    return cjs.exports as unknown as XGrammar
  })
  return loaded
}
