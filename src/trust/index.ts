/** Signed records: keys, the envelope protocol, verification and the local verified store. */
export { isKeyId, keyFingerprint, nodeIdFromKeyId, parseKeyId, type KeyAlgorithm, type KeyId, type KeyVault, type SignatureVerifier, type Signer } from './keys'
export { webCryptoVault, webCryptoVerifier } from './webcrypto'
export { canonicalJson, parseCanonical, NonCanonicalValueError, type CanonicalValue } from './canonical'
export {
  ENVELOPE_VERSION,
  RECORD_DOMAIN,
  MAX_ENVELOPE_CHARS,
  RecordKind,
  EnvelopeRejection,
  signEnvelope,
  signingBytes,
  envelopeHash,
  isEnvelopeHash,
  checkEnvelopeForm,
  checkSlot,
  type Envelope,
  type EnvelopeBody,
  type EnvelopeCheck,
  type EnvelopeSlot,
  type RecordFields,
  type SignedEnvelope,
} from './envelope'
export { EnvelopeVerifier, type EnvelopeVerifierStats } from './envelope-verifier'
export { VerifiedStore, DEFAULT_STORE_QUOTA, memoryEnvelopeStorage, missingFromDoc, type AddOutcome, type EnvelopeStorage, type StoreQuota, type StoredEnvelope } from './verified-store'
export { indexedDbEnvelopeStorage } from './envelope-storage-idb'
