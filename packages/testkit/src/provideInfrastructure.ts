import { randomBytes } from 'node:crypto';
import { bringUpInfrastructure, takeDownInfrastructure } from '@exactly/infra';
import pg from 'pg';
import { startContainers } from './containers.js';

/** The Kafka and PostgreSQL a test run uses, with a database of its own. */
export interface TestInfrastructure {
  /** A fresh database created for this run, dropped by `release`. */
  databaseUrl: string;
  kafkaBrokers: string[];
  /** Drops the run's database and stops whatever this call started. */
  release(): Promise<void>;
}

/**
 * Gives a test run its real Kafka and PostgreSQL, in this order of preference:
 * 1. DATABASE_URL / KAFKA_BROKERS from the environment (nothing is started);
 * 2. testcontainers, when EXACTLY_TEST_INFRA=containers and a Docker engine answers;
 * 3. the project's local PostgreSQL and Kafka processes (started, or reused when running).
 * Each run gets a database of its own on that server, so runs never see each other's rows.
 */
export async function provideInfrastructure(env = process.env): Promise<TestInfrastructure> {
  const servers = env.EXACTLY_TEST_INFRA === 'containers' ? await startContainers(env) : undefined;
  const infrastructure = servers ? undefined : await bringUpInfrastructure(env);
  const serverUrl = servers?.databaseUrl ?? infrastructure?.databaseUrl ?? '';
  const kafkaBrokers = servers?.kafkaBrokers ?? infrastructure?.kafkaBrokers ?? [];
  const database = `exactly_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE ${database}`));
  return {
    databaseUrl: withDatabase(serverUrl, database),
    kafkaBrokers,
    async release() {
      await withAdminClient(serverUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
      );
      if (servers) await servers.stop();
      if (infrastructure) await takeDownInfrastructure(infrastructure);
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
