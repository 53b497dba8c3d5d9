import { port, readConfig } from '@exactly/config';
import { ExactlyError } from '@exactly/errors';
import { z } from 'zod';
import { type KafkaMode, startLocalKafka, stopLocalKafka } from './localKafka.js';
import { defaultLocalPostgresPort, startLocalPostgres, stopLocalPostgres } from './localPostgres.js';

const InfrastructureConfig = z.object({
  DATABASE_URL: z.string().optional(),
  KAFKA_BROKERS: z.string().optional(),
  EXACTLY_PG_PORT: port.default(defaultLocalPostgresPort),
});

/** The PostgreSQL and Kafka a run uses, and which of them this run started (and so must stop). */
export interface Infrastructure {
  databaseUrl: string;
  kafkaBrokers: string[];
  started: { postgres: boolean; kafka: KafkaMode[] };
  /** Which servers DATABASE_URL and KAFKA_BROKERS named (someone else runs them; nothing was started). */
  fromEnvironment: { postgres: boolean; kafka: boolean };
}

/**
 * DATABASE_URL and KAFKA_BROKERS, when set, point at servers someone else runs and nothing is
 * started; otherwise the project's own PostgreSQL and single-node Kafka are started (or reused).
 */
export async function bringUpInfrastructure(env = process.env): Promise<Infrastructure> {
  const config = readConfig(InfrastructureConfig, env);
  const [postgres, kafka] = await Promise.all([
    config.DATABASE_URL
      ? { url: config.DATABASE_URL, startedNow: false }
      : startLocalPostgres(config.EXACTLY_PG_PORT),
    config.KAFKA_BROKERS
      ? { brokers: config.KAFKA_BROKERS.split(','), startedNow: false }
      : startLocalKafka('single'),
  ]);
  return {
    databaseUrl: postgres.url,
    kafkaBrokers: kafka.brokers,
    started: { postgres: postgres.startedNow, kafka: kafka.startedNow ? ['single'] : [] },
    fromEnvironment: {
      postgres: config.DATABASE_URL !== undefined,
      kafka: config.KAFKA_BROKERS !== undefined,
    },
  };
}

/**
 * The error for migrations that failed. A DATABASE_URL left exported in the shell is the usual
 * cause when nothing listens: the project then starts no PostgreSQL of its own, and the
 * migrations' own message (ECONNREFUSED) does not say why.
 */
export function migrationFailure(url: string, exitCode: number, fromEnvironment: boolean): ExactlyError {
  const where = redactPassword(url);
  const hint = fromEnvironment
    ? `; DATABASE_URL is set in the environment, so no local PostgreSQL was started: start the server it names, or unset DATABASE_URL to use the project's own`
    : '';
  return new ExactlyError('infra_failed', `migrations failed on ${where} (exit code ${exitCode})${hint}`);
}

function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Stops what `bringUpInfrastructure` started, and nothing else. */
export async function takeDownInfrastructure(infrastructure: Infrastructure): Promise<void> {
  await Promise.all([
    ...infrastructure.started.kafka.map((mode) => stopLocalKafka(mode)),
    infrastructure.started.postgres ? stopLocalPostgres() : Promise.resolve(false),
  ]);
}
