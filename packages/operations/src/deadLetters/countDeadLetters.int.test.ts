import { randomBytes } from 'node:crypto';
import { newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import { countDeadLetters } from './countDeadLetters.js';
import { listMessageDeadLetters } from './listMessageDeadLetters.js';

let orm: Orm;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl: process.env.DATABASE_URL ?? '', poolSize: 2 });
});

afterAll(async () => {
  await orm.close();
});

describe("the console's dead letter reads", () => {
  it('count every dead letter and those never redriven; list one message’s, oldest first', async () => {
    const messageId = newId('msg');
    const topic = `count-dlq-${randomBytes(4).toString('hex')}`;
    // One snapshot for the whole test: dead letters other tests write meanwhile do not count.
    await orm.em.fork().transactional(async (em) => {
      await runSql(em, 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const before = await countDeadLetters(em);
      const { rows } = await runSql<{ id: string }>(
        em,
        `INSERT INTO dead_letters (code, reason, message_id, source_topic, source_partition, source_offset)
         SELECT code, 'test', $1, $2, 0, n FROM unnest($3::text[]) WITH ORDINALITY AS t(code, n)
         RETURNING id`,
        [messageId, topic, ['schema_invalid', 'payload_conflict', 'schema_invalid']],
      );
      await runSql(em, 'INSERT INTO dead_letter_redrives (dead_letter_id, topic) VALUES ($1, $2)', [
        rows[0]?.id,
        topic,
      ]);
      expect(await countDeadLetters(em)).toEqual({
        total: before.total + 3,
        pending: before.pending + 2,
        capped: false,
      });
      // A sample reads a bounded number of rows, however many dead letters there are.
      expect(await countDeadLetters(em, 2)).toEqual({ total: 2, pending: expect.any(Number), capped: true });
      const letters = await listMessageDeadLetters(em, messageId);
      expect(letters.map((letter) => letter.code)).toEqual([
        'schema_invalid',
        'payload_conflict',
        'schema_invalid',
      ]);
      expect(letters.map((letter) => letter.id)).toEqual(rows.map((row) => Number(row.id)));
      expect(Number.isNaN(Date.parse(letters[0]?.createdAt ?? ''))).toBe(false);
      expect(await listMessageDeadLetters(em, newId('msg'))).toEqual([]);
    });
  });
});
