import { KafkaContainer } from '@testcontainers/kafka';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { getContainerRuntimeClient } from 'testcontainers';

export interface ContainerServers {
  databaseUrl: string;
  kafkaBrokers: string[];
  stop(): Promise<void>;
}

const postgresImage = 'postgres:18-alpine';
const kafkaImage = 'apache/kafka:4.4.0';

/**
 * Starts PostgreSQL and a KRaft Kafka in Docker through testcontainers. Returns undefined (and
 * says why) when no Docker engine answers, so the caller falls back to the local processes.
 * This machine has no Docker engine: the path is for developers who have one.
 */
export async function startContainers(env = process.env): Promise<ContainerServers | undefined> {
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    console.warn(
      `testkit: EXACTLY_TEST_INFRA=containers but no Docker engine answers (${(error as Error).message}); using local processes`,
    );
    return undefined;
  }
  const [postgres, kafka] = await Promise.all([
    new PostgreSqlContainer(env.EXACTLY_POSTGRES_IMAGE ?? postgresImage).start(),
    new KafkaContainer(env.EXACTLY_KAFKA_IMAGE ?? kafkaImage).withKraft().start(),
  ]);
  return {
    databaseUrl: postgres.getConnectionUri(),
    kafkaBrokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
    async stop() {
      await Promise.all([postgres.stop(), kafka.stop()]);
    },
  };
}
