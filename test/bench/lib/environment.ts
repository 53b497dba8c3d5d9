// Where the benchmarks find PostgreSQL and Kafka, and the throwaway databases they work in.

import {
  Account,
  createMigratedDatabase,
  issueApiKey,
  type MigratedDatabase,
  newId,
  openOrm,
} from '@exactly/persistence';
import pg from 'pg';

/** The PostgreSQL server (any database on it): DATABASE_URL or the project's local one. */
export const serverUrl = (): string =>
  process.env.DATABASE_URL ?? 'postgres://postgres:exactly@127.0.0.1:54320/exactly';

export const kafkaBrokers = (): string[] => (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');

export const log = (...parts: unknown[]): void => console.error('bench:', ...parts);

/** Runs one statement on its own connection (CREATE/DROP DATABASE cannot run in a pool's transaction). */
export async function adminQuery<Row = Record<string, unknown>>(
  sql: string,
  parameters: unknown[] = [],
  url = serverUrl(),
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, parameters)).rows as Row[];
  } finally {
    await client.end();
  }
}

export type BenchDatabase = MigratedDatabase;

/** A new, migrated database on the server, dropped by `drop()`: each benchmark works in its own. */
export function createBenchDatabase(prefix: string): Promise<BenchDatabase> {
  return createMigratedDatabase(serverUrl(), `exactly_bench_${prefix}`);
}

/** An account with one API key in a bench database: what a client needs to post commands. */
export async function createBenchAccount(
  databaseUrl: string,
  name: string,
): Promise<{ accountId: string; apiKey: string; keyId: string }> {
  const orm = await openOrm({ databaseUrl, poolSize: 1 });
  try {
    const accountId = newId('acc');
    const em = orm.em.fork();
    em.create(Account, { id: accountId, name });
    await em.flush();
    const { apiKey, keyId } = await issueApiKey(orm.em.fork(), accountId);
    return { accountId, apiKey, keyId };
  } finally {
    await orm.close();
  }
}
