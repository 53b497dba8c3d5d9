import { Migrator } from '@mikro-orm/migrations';
import { defineConfig } from '@mikro-orm/postgresql';
import { entities } from './entities/index.js';
import { migrations } from './migrations/index.js';

export interface OrmSettings {
  databaseUrl: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  debug?: boolean;
  /** Settings of every session of the pool (startup `options`), e.g. `{ enable_bitmapscan: 'off' }`. */
  sessionSettings?: Readonly<Record<string, string>>;
}

/** The MikroORM configuration every service uses: explicit entities, migrations from a list (never schema sync). */
export function ormConfig({ databaseUrl, poolSize = 10, debug = false, sessionSettings = {} }: OrmSettings) {
  const options = Object.entries(sessionSettings).map(([name, value]) => `-c ${name}=${value}`);
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
    ...(options.length > 0 ? { driverOptions: { options: options.join(' ') } } : {}),
    debug,
    // Services validate and shape data themselves; the identity map is forked per request or batch.
    allowGlobalContext: false,
  });
}
