import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { runMigrations } from './runMigrations.js';

export interface MigratedDatabase {
  name: string;
  url: string;
  /** Drops the database, closing whatever is still connected to it. */
  drop(): Promise<void>;
}

/**
 * A new database with every migration applied, on the server of `serverUrl` (any database on
 * it), named `<prefix>_<random>`: for tests and benchmarks that need tables of their own (their
 * statistics, their leases). Dropped again if the migrations fail.
 */
export async function createMigratedDatabase(serverUrl: string, prefix: string): Promise<MigratedDatabase> {
  const database = await createEmptyDatabase(serverUrl, prefix);
  try {
    await runMigrations(database.url);
  } catch (error) {
    await database.drop();
    throw error;
  }
  return database;
}

/**
 * A new database with no migration applied, named `<prefix>_<random>`: for a migration's own
 * test, which migrates it step by step.
 */
export async function createEmptyDatabase(serverUrl: string, prefix: string): Promise<MigratedDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix)) throw new TypeError(`not a database name prefix: ${prefix}`);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const drop = () => onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await onServer(serverUrl, `CREATE DATABASE ${name}`);
  return { name, url: url.toString(), drop };
}

/** CREATE and DROP DATABASE run outside any transaction, so on a connection of their own. */
async function onServer(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
