import { ExactlyError } from '@exactly/errors';
import type { IdempotencyProfile } from '@exactly/idempotency';
import { type Orm, runSql } from '@exactly/persistence';

const settingName = 'idempotency_profile';

/**
 * What decides which stored record a key finds: the profile's name and how it scopes keys. Two
 * profiles that differ here read the same records differently, so old keys may run again.
 */
export function keySchemeOf(profile: IdempotencyProfile): string {
  return `${profile.name} (keys scoped by ${profile.scope === 'api_key' ? 'API key' : 'account'}${
    profile.perEndpoint ? ' and endpoint' : ''
  })`;
}

export type RecordedProfileCheck =
  | { kind: 'recorded' }
  | { kind: 'unchanged' }
  | { kind: 'switched'; from: string };

/**
 * Records the idempotency profile the database is used with on the first start, and refuses a
 * start under another one unless the operator switches on purpose (`switchAllowed`), which then
 * records the new one. Without this, switching `IDEMPOTENCY_PROFILE` over existing data changes
 * how keys are scoped and old keys run again without a word.
 */
export async function checkRecordedProfile(
  orm: Orm,
  profile: IdempotencyProfile,
  switchAllowed: boolean,
): Promise<RecordedProfileCheck> {
  const scheme = keySchemeOf(profile);
  const em = orm.em.fork();
  const inserted = await runSql<{ value: string }>(
    em,
    'INSERT INTO recorded_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value',
    [settingName, scheme],
  );
  if (inserted.rows.length > 0) return { kind: 'recorded' };
  const { rows } = await runSql<{ value: string }>(
    em,
    'SELECT value FROM recorded_settings WHERE name = $1',
    [settingName],
  );
  const recorded = rows[0]?.value;
  if (recorded === undefined || recorded === scheme) return { kind: 'unchanged' };
  if (!switchAllowed) {
    throw new ExactlyError(
      'config_invalid',
      `this database was used with the idempotency profile ${recorded}; starting under ${scheme} changes how keys ` +
        'are scoped, so keys already stored may run again. Start with the recorded profile, or set ' +
        'IDEMPOTENCY_PROFILE_SWITCH=true to switch on purpose (the new profile is recorded).',
    );
  }
  await runSql(em, 'UPDATE recorded_settings SET value = $2, recorded_at = now() WHERE name = $1', [
    settingName,
    scheme,
  ]);
  return { kind: 'switched', from: recorded };
}
