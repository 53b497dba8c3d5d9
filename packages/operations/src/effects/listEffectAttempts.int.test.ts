import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { seedMessage } from '../testing/seedMessage.js';
import { listEffectAttempts } from './listEffectAttempts.js';

const databaseUrl = process.env.DATABASE_URL ?? '';

describe("an effect's attempts as operators read them", () => {
  let orm: Orm;
  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 2 });
  });
  afterAll(async () => {
    await orm.close();
  });

  /** A message sent by its effect's attempt `attempt`, as the dispatcher leaves it. */
  async function sent(attempt: number, resumes = 0) {
    const { accountId, messageId } = await seedMessage(orm, {
      status: 'sent',
      later: (id) => [
        { type: 'DispatchRequested', data: { provider: 'http', effectId: `eff_${id}` } },
        {
          type: 'ProviderAccepted',
          data: { provider: 'http', attempt, providerMessageId: 'prov-1', replayed: true },
        },
      ],
    });
    const effectId = `eff_${messageId}`;
    await runSql(
      orm.em.fork(),
      `INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, max_attempts,
                            state, attempt, resumes, attempt_started_at, finished_at)
       VALUES ($1, $2, $3, 'sms', 'http', $2, '{}', 5, 'succeeded', $4, $5,
               '2026-12-04T10:00:00Z', '2026-12-04T10:00:01Z')`,
      [effectId, messageId, accountId, attempt, resumes],
    );
    return effectId;
  }

  it('reads a first attempt that succeeded, which has no row, from its effect and its ProviderAccepted event', async () => {
    const effectId = await sent(1);
    expect(await listEffectAttempts(orm.em.fork(), effectId)).toEqual([
      {
        attempt: 1,
        provider: 'http',
        outcome: 'accepted',
        replayed: true,
        providerMessageId: 'prov-1',
        error: null,
        resumes: 0,
        startedAt: '2026-12-04T10:00:00+00:00',
        finishedAt: '2026-12-04T10:00:01+00:00',
      },
    ]);
  });

  it('reads the rows of the attempts that have them, once each', async () => {
    const effectId = await sent(2);
    await runSql(
      orm.em.fork(),
      `INSERT INTO effect_attempts (effect_id, attempt, provider, outcome, replayed, provider_message_id, error, started_at, finished_at)
       VALUES ($1, 1, 'http', 'retryable', false, NULL, 'HTTP 503', '2026-12-04T09:59:00Z', '2026-12-04T09:59:01Z'),
              ($1, 2, 'http', 'accepted', true, 'prov-1', NULL, '2026-12-04T10:00:00Z', '2026-12-04T10:00:01Z')`,
      [effectId],
    );
    const attempts = await listEffectAttempts(orm.em.fork(), effectId);
    expect(attempts.map((row) => `${row.attempt}:${row.outcome}`)).toEqual(['1:retryable', '2:accepted']);
  });
});
