import { openOrm } from './openOrm.js';

/** Applies every pending migration, in one transaction; returns the names it applied. */
export async function runMigrations(databaseUrl: string): Promise<string[]> {
  const orm = await openOrm({ databaseUrl, poolSize: 1 });
  try {
    const applied = await orm.migrator.up();
    return applied.map((migration) => migration.name);
  } finally {
    await orm.close();
  }
}
