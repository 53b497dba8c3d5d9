import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder (this file is infra/src/stateDir.ts or infra/dist/stateDir.js). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where local data, logs and pid files live: `.exactly/` in the repository unless EXACTLY_STATE_DIR says otherwise. */
export function stateDir(): string {
  return process.env.EXACTLY_STATE_DIR ?? join(repoRoot, '.exactly');
}
