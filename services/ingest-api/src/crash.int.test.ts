import { Account, issueApiKey, newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import { eventually, type RunningService, startService } from '@exactly/testkit';
import { email } from './testing/startTestServer.js';

const databaseUrl = process.env.DATABASE_URL ?? '';

describe('the ingest API killed with kill -9 under load', () => {
  let orm: Orm;
  let service: RunningService | undefined;

  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 2 });
  });

  afterAll(async () => {
    await service?.stop();
    await orm.close();
  });

  it('never loses an acknowledged command, leaves nothing half-written, and retries of every key end with one message each', async () => {
    const em = orm.em.fork();
    const accountId = newId('acc');
    em.create(Account, { id: accountId, name: 'crash test' });
    await em.flush();
    const { apiKey } = await issueApiKey(orm.em.fork(), accountId);
    const api = await startService('ingest-api', {
      env: {
        DATABASE_URL: databaseUrl,
        IDEMPOTENCY_PROFILE: 'pulsewave',
        IDEMPOTENCY_PROFILE_SWITCH: 'true',
      },
      readyTimeoutMs: 30_000,
    });
    service = api;
    const url = api.url;

    const acknowledged = new Map<string, string>();
    const keys: string[] = [];
    const send = async (key: string) => {
      const response = await fetch(`${url}/v1/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify(email({ text: key })),
      });
      if (response.status !== 202) throw new Error(`status ${response.status}`);
      return ((await response.json()) as { id: string }).id;
    };
    let running = true;
    const clients = Array.from({ length: 16 }, async (_, client) => {
      for (let index = 0; running && index < 10_000; index += 1) {
        const key = `c${client}-${index}`;
        keys.push(key);
        try {
          acknowledged.set(key, await send(key));
        } catch {
          return;
        }
      }
    });
    // Killed once it is busy: a fixed wait found it still warming up on a loaded machine.
    await eventually('20 commands to be acknowledged', () => acknowledged.size >= 20, 30_000, 5);
    await api.kill();
    running = false;
    await Promise.all(clients);
    expect(acknowledged.size).toBeGreaterThanOrEqual(20);

    // Every acknowledged command is stored, and what is stored is whole.
    const { rows: broken } = await runSql<{ id: string }>(
      orm.em.fork(),
      `SELECT m.id FROM messages m
        WHERE m.account_id = $1
          AND (NOT EXISTS (SELECT 1 FROM idempotency_records r WHERE r.account_id = m.account_id AND m.id = ANY (r.resource_ids))
            OR (SELECT count(*) FROM message_events e WHERE e.stream_id = m.id) <> 1
            OR (SELECT count(*) FROM outbox o WHERE o.headers ->> 'exactly-message-id' = m.id) <> 2)`,
      [accountId],
    );
    expect(broken).toEqual([]);
    const { rows: stored } = await runSql<{ id: string }>(
      orm.em.fork(),
      'SELECT id FROM messages WHERE account_id = $1',
      [accountId],
    );
    const storedIds = new Set(stored.map((row) => row.id));
    for (const id of acknowledged.values()) expect(storedIds.has(id)).toBe(true);

    // After a restart, retrying every key gives each exactly one message, acknowledged ones unchanged.
    await api.start();
    for (const key of keys) {
      const id = await send(key);
      if (acknowledged.has(key)) expect(id).toBe(acknowledged.get(key));
    }
    const { rows: counted } = await runSql<{ messages: string; keys: string }>(
      orm.em.fork(),
      'SELECT count(*) AS messages, count(DISTINCT message_key) AS keys FROM messages WHERE account_id = $1',
      [accountId],
    );
    expect(counted[0]).toEqual({ messages: String(keys.length), keys: String(keys.length) });
  });
});
