import { newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import { enqueueOutbox } from './index.js';

const databaseUrl = process.env.DATABASE_URL ?? '';
let orm: Orm;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 4 });
});

afterAll(async () => {
  await orm.close();
});

describe('the outbox', () => {
  it('stores records with a stable shard derived from the Kafka key', async () => {
    const key = `acc_1|${newId('k')}`;
    await orm.em.fork().transactional(async (em) => {
      await enqueueOutbox(em, [
        { topic: 't', kafkaKey: key, payload: { a: 1 }, headers: { h: 'v' } },
        { topic: 't', kafkaKey: key, payload: { a: 2 }, headers: {} },
      ]);
    });
    const { rows } = await runSql<{ shard: number; payload: unknown }>(
      orm.em.fork(),
      'SELECT shard, payload FROM outbox WHERE kafka_key = $1 ORDER BY id',
      [key],
    );
    expect(rows.map((row) => row.payload)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(rows[0]?.shard).toBe(rows[1]?.shard);
    expect(rows[0]?.shard).toBeGreaterThanOrEqual(0);
    expect(rows[0]?.shard).toBeLessThan(32);
  });
});
