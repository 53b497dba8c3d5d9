import { Migrator } from '@mikro-orm/migrations';
import { defineConfig } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';
import { entities } from './entities/index.js';
import { migrations } from './migrations/index.js';
import { prepareRepeatedStatements } from './preparedStatements.js';

export interface OrmSettings {
  databaseUrl: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  debug?: boolean;
  /** Settings of every session of the pool (startup `options`), e.g. `{ enable_bitmapscan: 'off' }`. */
  sessionSettings?: Readonly<Record<string, string>>;
  /**
   * Distinct parameterised statements each connection prepares once (0: none; default 256). They
   * are planned afresh on each execution unless a transaction sets `plan_cache_mode = auto`.
   */
  preparedStatements?: number;
}

/** The MikroORM configuration every service uses: explicit entities, migrations from a list (never schema sync). */
export function ormConfig({
  databaseUrl,
  poolSize = 10,
  debug = false,
  sessionSettings = {},
  preparedStatements = 256,
}: OrmSettings) {
  // A plan kept from an earlier execution is not re-planned when a table grows or empties (an
  // outbox or a queue of effects does both within seconds): keeping plans is opted into per
  // transaction, where every join is a key lookup (`TransactionSettings.plan_cache_mode`).
  const prepares = preparedStatements > 0;
  const settings = prepares ? { plan_cache_mode: 'force_custom_plan', ...sessionSettings } : sessionSettings;
  const options = Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`);
  const driverOptions = {
    ...(options.length > 0 ? { options: options.join(' ') } : {}),
    ...(prepares
      ? { onPoolCreated: (pool: Pool) => prepareRepeatedStatements(pool, { limit: preparedStatements }) }
      : {}),
  };
  return defineConfig({
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    migrations: {
      tableName: 'schema_migrations',
      migrationsList: migrations,
      snapshot: false,
      silent: true,
    },
    pool: { min: 0, max: poolSize },
    ...(Object.keys(driverOptions).length > 0 ? { driverOptions } : {}),
    debug,
    // Services validate and shape data themselves; the identity map is forked per request or batch.
    allowGlobalContext: false,
  });
}
