import { provideInfrastructure, type TestInfrastructure } from './provideInfrastructure.js';

declare global {
  var exactlyTestInfrastructure: TestInfrastructure | undefined;
}

/**
 * Jest global set-up: one Kafka and one PostgreSQL database per jest run, handed to the test
 * files through DATABASE_URL and KAFKA_BROKERS (workers inherit the environment). A package
 * that needs its schema passes a `prepare` step, such as running the migrations.
 */
export async function setUpTestRun(
  prepare?: (infrastructure: TestInfrastructure) => Promise<void>,
): Promise<void> {
  const infrastructure = await provideInfrastructure();
  globalThis.exactlyTestInfrastructure = infrastructure;
  process.env.DATABASE_URL = infrastructure.databaseUrl;
  process.env.KAFKA_BROKERS = infrastructure.kafkaBrokers.join(',');
  await prepare?.(infrastructure);
}

export default async function jestGlobalSetup(): Promise<void> {
  await setUpTestRun();
}
