import { randomBytes } from 'node:crypto';
import { runMigrations } from '@exactly/persistence';
import { withDatabase } from '@exactly/testkit';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A migrated database of its own on the test run's server: the shard leases and the outbox are
 * per database, so relays of one test never see another test's rows.
 */
export async function createTestDatabase(serverUrl = process.env.DATABASE_URL ?? ''): Promise<TestDatabase> {
  const name = `exactly_relay_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = withDatabase(serverUrl, name);
  await runMigrations(url);
  return {
    url,
    async drop() {
      await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
