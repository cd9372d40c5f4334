/**
 * Named errors. Inside one thread we throw these; across the worker and mesh
 * boundaries only their `code` travels (as data), because Error subclasses do
 * not survive structured clone / comlink.
 */
export const InferenceErrorCode = {
  WEBGPU_UNAVAILABLE: 'WEBGPU_UNAVAILABLE',
  DEVICE_LOST: 'DEVICE_LOST',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  DOWNLOAD_FAILED: 'DOWNLOAD_FAILED',
  MODEL_NOT_FOUND: 'MODEL_NOT_FOUND',
  ABORTED: 'ABORTED',
  NOT_LOADED: 'NOT_LOADED',
  BAD_REQUEST: 'BAD_REQUEST',
  BUSY: 'BUSY',
  /** Constrained decoding found no token the JSON schema allows (another rule banned them all, or the vocabulary can't spell it). */
  GRAMMAR_DEAD_END: 'GRAMMAR_DEAD_END',
  INTERNAL: 'INTERNAL',
} as const
export type InferenceErrorCode = (typeof InferenceErrorCode)[keyof typeof InferenceErrorCode]

export function isInferenceErrorCode(value: unknown): value is InferenceErrorCode {
  return typeof value === 'string' && Object.hasOwn(InferenceErrorCode, value)
}

/** Thrown by every InferenceClient implementation; `message` is written for a person. */
export class InferenceError extends Error {
  override readonly name = 'InferenceError'
  constructor(
    readonly code: InferenceErrorCode,
    message: string,
  ) {
    super(message)
  }
}

/** A configuration value (URL parameter, CLI flag, env var) that cannot be used. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

/** Data written by a peer (board entry, presence state) that fails validation. */
export class InvalidPeerDataError extends Error {
  override readonly name = 'InvalidPeerDataError'
}

/** The local verified store could not write (quota, or the storage itself failed). Returned as data by VerifiedStore.add. */
export class VerifiedStoreError extends Error {
  override readonly name = 'VerifiedStoreError'
  constructor(
    readonly code: 'QUOTA_EXCEEDED' | 'WRITE_FAILED',
    message: string,
  ) {
    super(message)
  }
}

/** A record that cannot become a valid signed envelope (bad task id, room, attempt...): refused before signing. */
export class InvalidRecordError extends Error {
  override readonly name = 'InvalidRecordError'
}
