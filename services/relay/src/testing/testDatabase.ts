import { createMigratedDatabase, type MigratedDatabase } from '@exactly/persistence';

export type TestDatabase = MigratedDatabase;

/**
 * A migrated database of its own on the test run's server: the shard leases and the outbox are
 * per database, so relays of one test never see another test's rows.
 */
export function createTestDatabase(serverUrl = process.env.DATABASE_URL ?? ''): Promise<TestDatabase> {
  return createMigratedDatabase(serverUrl, 'exactly_relay');
}
