export { Account } from './entities/Account.js';
export { ApiKey } from './entities/ApiKey.js';
export { type Orm, openOrm } from './openOrm.js';
export { type OrmSettings, ormConfig } from './ormConfig.js';
export { runMigrations } from './runMigrations.js';
