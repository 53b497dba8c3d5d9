import { randomBytes } from 'node:crypto';
import { createKafka } from '@exactly/messaging';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import type { Admin } from 'kafkajs';
import { readConsumerLag } from './readConsumerLag.js';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
let orm: Orm;
let admin: Admin;
const topic = `dashboard-lag-${randomBytes(4).toString('hex')}`;
const group = `dashboard-lag-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl: process.env.DATABASE_URL ?? '', poolSize: 2 });
  const kafka = createKafka({ brokers, clientId: 'dashboard-lag-test' });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: [
      ...Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: `a${i}` })),
      ...Array.from({ length: 2 }, (_, i) => ({ partition: 1, value: `b${i}` })),
    ],
  });
  await producer.disconnect();
});

afterAll(async () => {
  await runSql(orm.em.fork(), 'DELETE FROM consumer_offsets WHERE group_id = $1', [group]);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  await orm.close();
});

describe('the consumer lag per partition', () => {
  it('is the whole topic for a group that has consumed nothing yet', async () => {
    const lag = await readConsumerLag({ em: orm.em.fork(), admin }, { group, topic });
    expect(lag.partitions.map((partition) => partition.lag)).toEqual([5, 2, 0]);
    expect(lag.total).toBe(7);
  });

  it("counts from the dispatcher's stored offsets, high watermarks from Kafka", async () => {
    await runSql(
      orm.em.fork(),
      `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, 0, 3)`,
      [group, topic],
    );
    const lag = await readConsumerLag({ em: orm.em.fork(), admin }, { group, topic });
    expect(lag).toMatchObject({ source: 'kafka', group, topic, total: 4 });
    expect(lag.partitions[0]).toMatchObject({ partition: 0, stored: 3, committed: null, high: 5, lag: 2 });
    expect(lag.partitions[1]).toMatchObject({ partition: 1, stored: null, high: 2, lag: 2 });
  });

  it('shows the stored offsets alone when Kafka is not configured', async () => {
    const lag = await readConsumerLag({ em: orm.em.fork(), admin: undefined }, { group, topic });
    expect(lag).toMatchObject({ source: 'database', total: null });
    expect(lag.partitions).toEqual([
      { partition: 0, memberId: null, stored: 3, committed: null, high: null, lag: null },
    ]);
  });
});
