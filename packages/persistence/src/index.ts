export { apiKeyPrefix, generateApiKey, hashApiKey } from './apiKeys/apiKeySecret.js';
export { type ActiveApiKey, findApiKey } from './apiKeys/findApiKey.js';
export { type IssuedApiKey, issueApiKey } from './apiKeys/issueApiKey.js';
export { revokeApiKey } from './apiKeys/revokeApiKey.js';
export { createMigratedDatabase, type MigratedDatabase } from './createMigratedDatabase.js';
export { Account } from './entities/Account.js';
export { ApiKey } from './entities/ApiKey.js';
export { Message } from './entities/Message.js';
export { MessageEvent } from './entities/MessageEvent.js';
export { OutboxRecord } from './entities/OutboxRecord.js';
export { appendToStreams, type NewEvent, type StreamAppend } from './eventStore/appendToStreams.js';
export { readStream, type StoredEvent } from './eventStore/readStream.js';
export { type MessageEventsAppend, recordMessageEvents } from './eventStore/recordMessageEvents.js';
export { inTransaction, type TransactionSettings } from './inTransaction.js';
export { newId } from './newId.js';
export { type Orm, openOrm } from './openOrm.js';
export { type OrmSettings, ormConfig } from './ormConfig.js';
export {
  enqueueOutbox,
  enqueueOutboxStatement,
  notifyOutbox,
  type OutboxEntry,
  outboxChannel,
} from './outbox/enqueueOutbox.js';
export {
  compareMessageProjections,
  type ProjectedMessage,
  type ProjectionComparison,
  type ProjectionMismatch,
  type ProjectionScope,
  projectMessage,
  rebuildMessageProjections,
} from './projections/messageProjections.js';
export { runMigrations } from './runMigrations.js';
export { runSql } from './runSql.js';
export { runStatements, type SqlStatement } from './sqlStatements.js';
