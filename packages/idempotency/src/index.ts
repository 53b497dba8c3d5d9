export {
  createIdempotencyEngine,
  type EndpointKeyState,
  type ExecutionRequest,
  type IdempotencyEngine,
  type IdempotencyEngineOptions,
  type IdempotencyOutcome,
  type KeyState,
  type PreparedExecution,
} from './createIdempotencyEngine.js';
export {
  type IdempotencyPluginOptions,
  idempotencyPlugin,
  keyScopeOf,
  replayHeaders,
} from './idempotencyPlugin.js';
export {
  IdempotencyProfile,
  type IdempotencyProfileName,
  IdempotentMethod,
  idempotencyProfileNames,
  idempotencyProfiles,
  KeyCharset,
  resolveProfile,
} from './idempotencyProfiles.js';
export {
  type EntityManager,
  lookupSessionSettings,
  lookupStatement,
  type StoredReply,
  writeSessionSettings,
} from './idempotencyRecords.js';
export { NaturalBatcher, type NaturalBatcherOptions } from './naturalBatcher.js';
export {
  type ParsedIdempotencyKey,
  parseIdempotencyKey,
  parseIdempotencyKeyValue,
} from './parseIdempotencyKey.js';
export { requestFingerprint } from './requestFingerprint.js';
export { advisoryLockKey, type KeyScope, scopeKeyOf } from './scopeKey.js';
