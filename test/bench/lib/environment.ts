// Where the benchmarks find PostgreSQL and Kafka, and the throwaway databases they work in.

import { randomBytes } from 'node:crypto';
import { runMigrations } from '@exactly/persistence';
import { withDatabase } from '@exactly/testkit';
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

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A new, migrated database on the server, dropped by `drop()`: each benchmark works in its own. */
export async function createBenchDatabase(prefix: string): Promise<BenchDatabase> {
  const name = `exactly_bench_${prefix}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = withDatabase(serverUrl(), name);
  try {
    await runMigrations(url);
  } catch (error) {
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    throw error;
  }
  return { name, url, drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => {}) };
}
