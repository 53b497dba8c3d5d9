import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { reachableRootOf } from './localPostgres.js';
import { stateDir } from './stateDir.js';

/** What `up` and `start` keep in the state folder; nothing else there is ever deleted. */
const stateEntries = ['postgres', 'kafka', 'operator-token'];

/**
 * Deletes the local servers' data (call it once they are stopped): PostgreSQL's and Kafka's
 * folders and the operator token in the state folder, the state folder itself once empty, and
 * the folder under /var/tmp that stands in for it when run as root from a clone the OS user
 * `postgres` cannot reach (a copy of PostgreSQL's binaries and its data, 170-320 MB). Only these
 * known names are deleted, so a state folder set to a folder of other files keeps them.
 * Returns the paths deleted.
 */
export async function deleteLocalState(): Promise<string[]> {
  const state = stateDir();
  const present = new Set(await readdir(state).catch(() => []));
  const deleted: string[] = [];
  for (const entry of stateEntries.filter((name) => present.has(name))) {
    await rm(join(state, entry), { recursive: true, force: true });
    deleted.push(join(state, entry));
  }
  if (present.size > 0 && (await readdir(state)).length === 0) {
    await rmdir(state);
    deleted.push(state);
  }
  const outside = reachableRootOf(state);
  if ((await readdir(outside).catch(() => undefined)) !== undefined) {
    await rm(outside, { recursive: true, force: true });
    deleted.push(outside);
  }
  return deleted;
}
