export { apiKeyPrefix, generateApiKey, hashApiKey } from './apiKeys/apiKeySecret.js';
export { type ActiveApiKey, findApiKey } from './apiKeys/findApiKey.js';
export { type IssuedApiKey, issueApiKey } from './apiKeys/issueApiKey.js';
export { revokeApiKey } from './apiKeys/revokeApiKey.js';
export {
  createEmptyDatabase,
  createMigratedDatabase,
  type MigratedDatabase,
} from './createMigratedDatabase.js';
export { Account } from './entities/Account.js';
export { ApiKey } from './entities/ApiKey.js';
export { Message } from './entities/Message.js';
export { MessageEvent } from './entities/MessageEvent.js';
export { OutboxRecord } from './entities/OutboxRecord.js';
export { inTransaction, type TransactionSettings } from './inTransaction.js';
export { newId } from './newId.js';
export { type Orm, openOrm } from './openOrm.js';
export { type OrmSettings, ormConfig } from './ormConfig.js';
export { runMigrations } from './runMigrations.js';
export { runSql } from './runSql.js';
export { combineStatements, runStatements, type SqlStatement, writesAsCtes } from './sqlStatements.js';
