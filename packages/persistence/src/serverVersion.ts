import { ExactlyError } from '@exactly/errors';

/**
 * The oldest PostgreSQL the services run on (as `server_version_num`): 17 brought
 * `transaction_timeout`, which bounds how long an idempotency key stays locked by a request
 * whose process stalled.
 */
export const minimumServerVersion = 170_000;

/** Why a server of this `server_version_num` cannot be used, or undefined when it can. */
export function serverVersionProblem(versionNum: number): ExactlyError | undefined {
  if (versionNum >= minimumServerVersion) return undefined;
  const major = Math.floor(versionNum / 10_000);
  const minor = versionNum % 10_000;
  return new ExactlyError(
    'database_unsupported',
    `PostgreSQL ${major}.${minor} is too old: Exactly needs PostgreSQL 17 or later (it uses transaction_timeout). ` +
      'Point DATABASE_URL at a newer server, or leave it unset to use the PostgreSQL that `npm start` runs.',
    { details: { serverVersionNum: versionNum, minimumServerVersionNum: minimumServerVersion } },
  );
}
