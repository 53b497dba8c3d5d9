// Scheduled sends across real processes: the schedule lives in PostgreSQL, so dispatchers killed
// with SIGKILL around the due time lose nothing and repeat nothing, and two dispatchers running
// the scheduler release each due send once. The provider deduplicates nothing: every call counts.

import { issueApiKey, newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import { eventually, FakeProvider, Pipeline } from '@exactly/testkit';

const count = 24;
const leadMs = 8_000;

let orm: Orm;
let provider: FakeProvider;
let pipeline: Pipeline;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl: process.env.DATABASE_URL ?? '', poolSize: 2 });
});

afterAll(async () => {
  await orm.close();
});

afterEach(async () => {
  await pipeline?.stop();
  await provider?.close();
});

async function newCaller(): Promise<{ accountId: string; apiKey: string }> {
  const accountId = newId('acc');
  await runSql(orm.em.fork(), 'INSERT INTO accounts (id, name) VALUES ($1, $2)', [
    accountId,
    'scheduled e2e',
  ]);
  const { apiKey } = await issueApiKey(orm.em.fork(), accountId);
  return { accountId, apiKey };
}

/**
 * Schedules `count` sends for `sendAt`, all at once: one after another, on a loaded machine, the
 * last could reach the API after `sendAt` and be accepted to send at once instead.
 */
async function schedule(apiKey: string, sendAt: Date): Promise<string[]> {
  return await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const response = await fetch(`${pipeline.baseUrl}/v1/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': `scheduled-${index}`,
        },
        body: JSON.stringify({
          channel: 'email',
          to: `user${index}@example.com`,
          from: 'orders@acme.example',
          subject: `Order ${index}`,
          text: 'On its way.',
          send_at: sendAt.toISOString(),
        }),
      });
      const body = (await response.json()) as { id: string; status: string };
      expect(response.status).toBe(202);
      expect(body.status).toBe('scheduled');
      return body.id;
    }),
  );
}

async function streamCounts(ids: string[]) {
  const { rows } = await runSql<{ released: string; dispatched: string; settled: string }>(
    orm.em.fork(),
    `SELECT (SELECT count(*) FROM message_events WHERE stream_id = ANY($1::text[]) AND type = 'ScheduledSendReleased') AS released,
            (SELECT count(*) FROM message_events WHERE stream_id = ANY($1::text[]) AND type = 'DispatchRequested') AS dispatched,
            (SELECT count(*) FROM messages WHERE id = ANY($1::text[]) AND status IN ('sent', 'held', 'failed')) AS settled`,
    [ids],
  );
  const row = rows[0];
  return {
    released: Number(row?.released),
    dispatched: Number(row?.dispatched),
    settled: Number(row?.settled),
  };
}

/** At most one provider call per message, none before its time, and every sent message called exactly once. */
async function expectOneCallEach(ids: string[], sendAt: Date) {
  const tooMany = ids.filter((id) => (provider.requests.get(id) ?? 0) > 1);
  expect(tooMany).toEqual([]);
  const early = provider.calls.filter((call) => ids.includes(call.key) && call.at < sendAt.getTime());
  expect(early).toEqual([]);
  const { rows } = await runSql<{ id: string; status: string }>(
    orm.em.fork(),
    'SELECT id, status FROM messages WHERE id = ANY($1::text[])',
    [ids],
  );
  const sent = rows.filter((row) => row.status === 'sent').map((row) => row.id);
  expect(sent.filter((id) => provider.requests.get(id) !== 1)).toEqual([]);
  // A kill during a provider call leaves that message held (the provider honours no keys), never sent twice.
  expect(rows.filter((row) => row.status !== 'sent' && row.status !== 'held')).toEqual([]);
  return { sent: sent.length };
}

function startPipeline(extra: Record<string, string> = {}) {
  pipeline = new Pipeline({
    prefix: 'scheduled',
    dispatchers: 2,
    providerUrl: provider.url,
    env: {
      dispatcher: {
        SCHEDULE_POLL_INTERVAL: '100ms',
        // Small batches: a kill lands between two release transactions as well as inside one.
        SCHEDULE_RELEASE_BATCH: '4',
        CONSUMER_SESSION_TIMEOUT: '6s',
        // Generous: a loaded machine must not make a lease expire and a call repeat.
        EFFECT_LEASE: '120s',
        PROVIDER_TIMEOUT: '30s',
        ...extra,
      },
    },
  });
  return pipeline.start();
}

describe('scheduled sends with the dispatchers killed around the due time', () => {
  it('go out once each, at or after their time', async () => {
    provider = await new FakeProvider().start();
    await startPipeline();
    const caller = await newCaller();
    const sendAt = new Date(Date.now() + leadMs);
    const ids = await schedule(caller.apiKey, sendAt);
    const [first, second] = pipeline.dispatchers;
    if (first === undefined || second === undefined) throw new Error('two dispatchers expected');

    // One dies just before the time, the other as soon as the first releases are committed.
    await eventually(
      'just before the due time',
      () => Date.now() >= sendAt.getTime() - 300,
      leadMs + 5_000,
      20,
    );
    await first.kill();
    await eventually('a first release', async () => (await streamCounts(ids)).released > 0, 30_000, 10);
    await second.kill();
    const atKill = await streamCounts(ids);
    expect(provider.calls.filter((call) => ids.includes(call.key)).length).toBeLessThanOrEqual(
      atKill.released,
    );

    await Promise.all([first.start(), second.start()]);
    await eventually(
      'every scheduled send settled',
      async () => (await streamCounts(ids)).settled === count,
      120_000,
    );
    const after = await streamCounts(ids);
    expect(after.released).toBe(count);
    expect(after.dispatched).toBe(count);
    const { sent } = await expectOneCallEach(ids, sendAt);
    expect(sent).toBeGreaterThan(0);
  }, 240_000);
});

describe('two dispatchers running the scheduler', () => {
  it('release and send each due message once', async () => {
    provider = await new FakeProvider().start();
    await startPipeline({ SCHEDULE_RELEASE_BATCH: '3' });
    const caller = await newCaller();
    const sendAt = new Date(Date.now() + 5_000);
    const ids = await schedule(caller.apiKey, sendAt);
    await eventually(
      'every scheduled send settled',
      async () => (await streamCounts(ids)).settled === count,
      120_000,
    );
    const after = await streamCounts(ids);
    expect(after).toEqual({ released: count, dispatched: count, settled: count });
    const { sent } = await expectOneCallEach(ids, sendAt);
    expect(sent).toBe(count);
  }, 240_000);
});
