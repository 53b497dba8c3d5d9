import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { createKafka } from './index.js';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');

describe('the real Kafka broker', () => {
  const kafka = createKafka({ brokers, clientId: 'smoke-test' });
  const admin = kafka.admin();
  const topic = `smoke-${randomUUID()}`;
  let consumer: Consumer | undefined;

  beforeAll(async () => {
    await admin.connect();
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it('creates a topic with the admin client', async () => {
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })).toBe(
      true,
    );
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
  });

  it('delivers a produced record to a consumer group', async () => {
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const value = `hello ${randomUUID()}`;
    await producer.send({ topic, acks: -1, messages: [{ key: 'k1', value, headers: { 'x-test': 'yes' } }] });
    await producer.disconnect();

    consumer = kafka.consumer({ groupId: `smoke-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<{ key: string; value: string; header: string }>((resolve) => {
      void consumer?.run({
        eachMessage: async ({ message }) =>
          resolve({
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
            header: message.headers?.['x-test']?.toString() ?? '',
          }),
      });
    });
    expect(received).toEqual({ key: 'k1', value, header: 'yes' });
  });
});
