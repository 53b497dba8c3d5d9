import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '@exactly/messaging';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { readRecordTimestamps } from '../replay/readRecordTimestamps.js';
import { commitGroupOffsets } from './commitGroupOffsets.js';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');

describe('committing a group’s offsets as an admin', () => {
  let kafka: Kafka;
  let admin: Admin;
  const topic = `operations-test-${randomUUID().slice(0, 12)}`;
  const groups: string[] = [];

  beforeAll(async () => {
    kafka = createKafka({ brokers, clientId: 'operations-test' });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  });

  afterAll(async () => {
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  it('sets the offsets of a group without members, at once', async () => {
    const group = `operations-test-${randomUUID()}`;
    groups.push(group);
    const started = Date.now();
    expect(
      await commitGroupOffsets(kafka, group, topic, [
        { partition: 0, offset: 0 },
        { partition: 1, offset: 0 },
      ]),
    ).toEqual({
      status: 'committed',
    });
    // Joining the group as a member (kafkajs' admin.setOffsets) takes about 5 s; this must not,
    // with room for a coordinator still loading on a busy broker.
    expect(Date.now() - started).toBeLessThan(4_000);
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(offsets?.partitions.map((entry) => entry.offset).sort()).toEqual(['0', '0']);
  });

  it('is refused by the broker while the group has a member, and changes nothing', async () => {
    const group = `operations-test-${randomUUID()}`;
    groups.push(group);
    const consumer: Consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    try {
      for (let tries = 0; (await admin.describeGroups([group])).groups[0]?.state !== 'Stable'; tries += 1) {
        if (tries > 100) throw new Error('the consumer never joined');
        await sleep(100);
      }
      expect(await commitGroupOffsets(kafka, group, topic, [{ partition: 0, offset: 0 }])).toEqual({
        status: 'group_has_members',
      });
    } finally {
      await consumer.disconnect();
    }
  });

  it('reads when the records at given offsets were written', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const written = Date.now() - 5 * 86_400_000;
    await producer.send({
      topic,
      messages: [
        { partition: 0, value: 'old', timestamp: String(written) },
        { partition: 0, value: 'new' },
      ],
    });
    await producer.disconnect();
    const times = await readRecordTimestamps({ kafka, admin }, topic, [
      { partition: 0, offset: 0 },
      { partition: 1, offset: 0 },
    ]);
    // Partition 1 is empty: nothing to read there.
    expect([...times.entries()]).toEqual([[0, new Date(written)]]);
  });
});
