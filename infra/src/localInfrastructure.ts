import { port, readConfig } from '@exactly/config';
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
  };
}

/** Stops what `bringUpInfrastructure` started, and nothing else. */
export async function takeDownInfrastructure(infrastructure: Infrastructure): Promise<void> {
  await Promise.all([
    ...infrastructure.started.kafka.map((mode) => stopLocalKafka(mode)),
    infrastructure.started.postgres ? stopLocalPostgres() : Promise.resolve(false),
  ]);
}
