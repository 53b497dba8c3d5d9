import { type Orm, runSql } from '@exactly/persistence';

type EntityManager = Orm['em'];

/** The advisory lock every maintenance transaction holds: one instance works at a time. */
export const maintenanceLockKey = 0x6578_6d61_696e; // "exmain"

/**
 * Takes the maintenance lock for the rest of the caller's transaction; false when another
 * instance holds it (the caller then leaves the work to it).
 */
export async function tryMaintenanceLock(em: EntityManager): Promise<boolean> {
  const { rows } = await runSql<{ locked: boolean }>(em, 'SELECT pg_try_advisory_xact_lock($1) AS locked', [
    maintenanceLockKey,
  ]);
  return rows[0]?.locked === true;
}
