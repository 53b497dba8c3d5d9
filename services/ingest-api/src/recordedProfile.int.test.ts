import { setTimeout as sleep } from 'node:timers/promises';
import { resolveProfile } from '@exactly/idempotency';
import {
  createMigratedDatabase,
  type MigratedDatabase,
  type Orm,
  openOrm,
  runSql,
} from '@exactly/persistence';
import { freePort, ServiceProcess } from '@exactly/testkit';
import { checkRecordedProfile } from './recordedProfile.js';

const serverUrl = process.env.DATABASE_URL ?? '';
let database: MigratedDatabase;
let orm: Orm;

beforeEach(async () => {
  database = await createMigratedDatabase(serverUrl, 'recorded_profile');
  orm = await openOrm({ databaseUrl: database.url, poolSize: 2 });
});

afterEach(async () => {
  await orm.close();
  await database.drop();
});

async function recordedValue(): Promise<string | undefined> {
  const { rows } = await runSql<{ value: string }>(
    orm.em.fork(),
    "SELECT value FROM recorded_settings WHERE name = 'idempotency_profile'",
  );
  return rows[0]?.value;
}

describe('the idempotency profile a database was used with', () => {
  it('is recorded by the first start and accepted again by the next ones', async () => {
    expect(await checkRecordedProfile(orm, resolveProfile('default'), false)).toEqual({ kind: 'recorded' });
    expect(await checkRecordedProfile(orm, resolveProfile('default'), false)).toEqual({ kind: 'unchanged' });
    expect(await recordedValue()).toBe('default (keys scoped by account and endpoint)');
  });

  it('refuses a start under another profile, naming both and the switch', async () => {
    await checkRecordedProfile(orm, resolveProfile('default'), false);
    await expect(checkRecordedProfile(orm, resolveProfile('truedy'), false)).rejects.toThrow(
      /used with the idempotency profile default \(keys scoped by account and endpoint\); starting under truedy .*IDEMPOTENCY_PROFILE_SWITCH=true/,
    );
    expect(await recordedValue()).toBe('default (keys scoped by account and endpoint)');
  });

  it('refuses a change of scope under the same profile name (keys would be found under other owners)', async () => {
    await checkRecordedProfile(orm, resolveProfile('default'), false);
    await expect(
      checkRecordedProfile(orm, resolveProfile('default', { scope: 'api_key' }), false),
    ).rejects.toThrow(/starting under default \(keys scoped by API key and endpoint\)/);
  });

  it('switches when told to, and records the new one', async () => {
    await checkRecordedProfile(orm, resolveProfile('default'), false);
    expect(await checkRecordedProfile(orm, resolveProfile('truedy'), true)).toEqual({
      kind: 'switched',
      from: 'default (keys scoped by account and endpoint)',
    });
    expect(await checkRecordedProfile(orm, resolveProfile('truedy'), false)).toEqual({ kind: 'unchanged' });
  });

  it('stops the ingest API process at start-up with that message when the profile changed without the switch', async () => {
    await checkRecordedProfile(orm, resolveProfile('default'), false);
    const service = new ServiceProcess({
      service: 'ingest-api',
      name: 'ingest-api',
      env: {
        DATABASE_URL: database.url,
        PORT: String(await freePort()),
        LOG_LEVEL: 'info',
        IDEMPOTENCY_PROFILE: 'txtly',
      },
    });
    try {
      service.start();
      await service.waitForOutput(
        /failed to start: this database was used with the idempotency profile default/,
      );
      for (let waited = 0; service.running && waited < 100; waited += 1) await sleep(50);
      expect(service.running).toBe(false);
    } finally {
      await service.stop();
    }
  });
});
