import { appendToStreams, scheduleSendsStatement } from '@exactly/message-store';
import { type Orm, openOrm, runSql, runStatements } from '@exactly/persistence';
import { type SeededCommand, seedAccount, seedMessages } from '../testing/seedCommands.js';
import { databaseUrl } from '../testing/testDispatcher.js';
import { releaseDueSends } from './releaseDueSends.js';

let orm: Orm;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 8 });
});

afterAll(async () => {
  await orm.close();
});

const topics = { commandsTopic: 'schedule-test.commands', eventsTopic: 'schedule-test.events' };

/** Messages accepted for later, as the ingest API leaves them (status scheduled, version 2, a pending row). */
async function seedScheduled(count: number, dueInMs: number): Promise<SeededCommand[]> {
  const accountId = await seedAccount(orm);
  const seeded = await seedMessages(orm, accountId, count);
  const dueAt = new Date(Date.now() + dueInMs);
  await orm.em.fork().transactional(async (em) => {
    await appendToStreams(
      em,
      seeded.map((item) => ({
        streamId: item.messageId,
        expectedVersion: 1,
        events: [{ type: 'MessageScheduled', data: { sendAt: dueAt.toISOString() } }],
      })),
    );
    await runStatements(em, [
      {
        text: "UPDATE messages SET status = 'scheduled', version = 2 WHERE id = ANY($1::text[])",
        parameters: [seeded.map((item) => item.messageId)],
      },
      scheduleSendsStatement(
        seeded.map((item) => ({
          messageId: item.messageId,
          accountId,
          dueAt,
          requestId: 'req_test',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        })),
      ),
    ]);
  });
  return seeded;
}

async function commandsFor(ids: string[]) {
  const { rows } = await runSql<{
    message_id: string;
    kafka_key: string;
    payload: { data: { message: unknown } };
  }>(
    orm.em.fork(),
    `SELECT headers ->> 'exactly-message-id' AS message_id, kafka_key, payload FROM outbox
      WHERE topic = $1 AND headers ->> 'exactly-message-id' = ANY($2::text[])`,
    [topics.commandsTopic, ids],
  );
  return rows;
}

describe('releasing due scheduled sends', () => {
  it('leaves a send that is not due yet alone', async () => {
    const seeded = await seedScheduled(3, 60 * 60_000);
    const ids = seeded.map((item) => item.messageId);
    // Other tests' due rows may be released by this call too; none of these.
    await releaseDueSends(orm, { ...topics, batchSize: 1_000 });
    expect(await commandsFor(ids)).toEqual([]);
  });

  it('with four schedulers side by side, queues exactly one command per due send, with its key and content', async () => {
    const seeded = await seedScheduled(300, -1_000);
    const ids = seeded.map((item) => item.messageId);
    const scheduler = async () => {
      let total = 0;
      for (;;) {
        const released = await releaseDueSends(orm, { ...topics, batchSize: 7 });
        total += released;
        if (released === 0) return total;
      }
    };
    const totals = await Promise.all([scheduler(), scheduler(), scheduler(), scheduler()]);
    expect(totals.reduce((sum, total) => sum + total, 0)).toBeGreaterThanOrEqual(ids.length);
    // Several schedulers took part (SKIP LOCKED shares the rows out rather than serialising them).
    expect(totals.filter((total) => total > 0).length).toBeGreaterThan(1);

    const commands = await commandsFor(ids);
    expect(commands).toHaveLength(ids.length);
    expect(new Set(commands.map((command) => command.message_id)).size).toBe(ids.length);
    const byId = new Map(seeded.map((item) => [item.messageId, item]));
    for (const command of commands) {
      const item = byId.get(command.message_id);
      expect(command.kafka_key).toBe(item?.record.key);
      expect(command.payload.data.message).toEqual(item?.command.data.message);
    }
    const { rows } = await runSql<{ released: string; statuses: string[]; states: string[] }>(
      orm.em.fork(),
      `SELECT (SELECT count(*) FROM message_events WHERE stream_id = ANY($1::text[]) AND type = 'ScheduledSendReleased') AS released,
              (SELECT array_agg(DISTINCT status) FROM messages WHERE id = ANY($1::text[])) AS statuses,
              (SELECT array_agg(DISTINCT state) FROM scheduled_sends WHERE message_id = ANY($1::text[])) AS states`,
      [ids],
    );
    expect(rows[0]).toEqual({ released: String(ids.length), statuses: ['accepted'], states: ['released'] });
  });
});
