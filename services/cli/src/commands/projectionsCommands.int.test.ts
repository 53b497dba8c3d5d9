import { appendToStreams } from '@exactly/message-store';
import { newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import { exactly } from '../testing/runExactly.js';

const databaseUrl = process.env.DATABASE_URL ?? '';

describe('exactly projections rebuild', () => {
  let orm: Orm;
  let accountId: string;
  const ids = [newId('msg'), newId('msg'), newId('msg')];

  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 1 });
    accountId = newId('acc');
    await orm.em.fork().transactional(async (em) => {
      await runSql(em, 'INSERT INTO accounts (id, name) VALUES ($1, $2)', [accountId, 'projections test']);
      for (const [index, id] of ids.entries()) {
        await runSql(
          em,
          `INSERT INTO messages (id, account_id, message_key, channel, recipient, sender, content, status, version)
           VALUES ($1, $2, $3, 'sms', '+15551234567', 'Acme', '{}', 'sent', 3)`,
          [id, accountId, `k-${index}`],
        );
        await appendToStreams(em, [
          {
            streamId: id,
            expectedVersion: 0,
            events: [
              {
                type: 'MessageAccepted',
                data: {
                  messageId: id,
                  accountId,
                  channel: 'sms',
                  to: '+15551234567',
                  from: 'Acme',
                  idempotencyKey: `k-${index}`,
                },
              },
              { type: 'DispatchRequested', data: { provider: 'log', effectId: `eff_${id}` } },
              { type: 'ProviderAccepted', data: { provider: 'log', attempt: 1 } },
            ],
          },
        ]);
      }
    });
  });

  afterAll(async () => {
    await orm.close();
  });

  it('reports that the read model equals the projection rebuilt from the events (exit 0), with progress', async () => {
    const result = await exactly(['projections', 'rebuild', '--account', accountId, '--json']);
    expect(result).toMatchObject({
      code: 0,
      json: { checked: 3, equal: true, mismatches: [], repaired: [] },
    });
    expect(result.stderr).toMatch(/^projections: 3\/3 \(100%\)/m);
  });

  it('lists rows that drifted (exit 7) and repairs them with --repair', async () => {
    const [drifted] = ids;
    await runSql(orm.em.fork(), "UPDATE messages SET status = 'failed' WHERE id = $1", [drifted]);
    const found = await exactly(['projections', 'rebuild', '--account', accountId]);
    expect(found.code).toBe(7);
    expect(found.stdout).toMatch(/checked 3 message\(s\): 1 differ from the event store \(run with --repair/);
    expect(found.stdout).toMatch(new RegExp(`${drifted}\\s+status\\s+failed v3\\s+sent v3`));

    const repaired = await exactly(['projections', 'rebuild', '--account', accountId, '--repair', '--json']);
    expect(repaired).toMatchObject({ code: 0, json: { equal: true, repaired: [drifted] } });
    expect((await exactly(['projections', 'rebuild', '--account', accountId])).code).toBe(0);
  });
});
