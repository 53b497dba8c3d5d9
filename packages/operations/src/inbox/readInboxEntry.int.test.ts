import { newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import { readInboxEntry } from './readInboxEntry.js';

let orm: Orm;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl: process.env.DATABASE_URL ?? '', poolSize: 2 });
});

afterAll(async () => {
  await orm.close();
});

describe('reading the inbox row of a message', () => {
  it('gives where its command was received, or nothing when no row is kept', async () => {
    const messageId = newId('msg');
    await runSql(
      orm.em.fork(),
      `INSERT INTO inbox (message_id, fingerprint, topic, partition, "offset") VALUES ($1, '\\x00', 'inbox-test', 4, 9007199254740)`,
      [messageId],
    );
    const entry = await readInboxEntry(orm.em.fork(), messageId);
    expect(entry).toMatchObject({ topic: 'inbox-test', partition: 4, offset: 9_007_199_254_740 });
    expect(Number.isNaN(Date.parse(entry?.receivedAt ?? ''))).toBe(false);
    expect(await readInboxEntry(orm.em.fork(), newId('msg'))).toBeUndefined();
  });
});
