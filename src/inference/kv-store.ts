/**
 * The tiny key-value store the engine controller remembers the chosen model
 * in ("per device" = per browser profile and origin). Real: localStorage.
 * Fake: a Map, for tests.
 */
export interface KeyValueStore {
  get(key: string): string | null
  set(key: string, value: string): void
  remove(key: string): void
}

export function memoryStore(initial: Record<string, string> = {}): KeyValueStore & { readonly data: Map<string, string> } {
  const data = new Map(Object.entries(initial))
  return {
    data,
    get: (key) => data.get(key) ?? null,
    set: (key, value) => void data.set(key, value),
    remove: (key) => void data.delete(key),
  }
}

/**
 * localStorage, degrading to memory when it is missing or throws (Safari
 * private mode, sandboxed iframes, storage disabled): remembering a model is
 * a convenience, never a reason to fail.
 */
export function browserStore(): KeyValueStore {
  const fallback = memoryStore()
  const ls = (): Storage | null => {
    try {
      return globalThis.localStorage ?? null
    } catch {
      return null
    }
  }
  return {
    get(key) {
      try {
        return ls()?.getItem(key) ?? fallback.get(key)
      } catch {
        return fallback.get(key)
      }
    },
    set(key, value) {
      try {
        ls()?.setItem(key, value)
      } catch {
        // quota or privacy mode: keep it for this page only
      }
      fallback.set(key, value)
    },
    remove(key) {
      try {
        ls()?.removeItem(key)
      } catch {
        // see set()
      }
      fallback.remove(key)
    },
  }
}
