import { createKafka } from '@exactly/messaging';
import { KafkaPublisher } from './kafkaPublisher.js';
import { brokers } from './testing/inProcessRelay.js';
import { produceApiKey, startKafkaProxy } from './testing/kafkaProxy.js';
import { readTopic } from './testing/outboxFixtures.js';
import { relayTestKafka } from './testing/relayTestKafka.js';

// Against the real broker, behind a proxy that can lose a response: a send that failed after
// the broker wrote it must not make the next send look like a repeat of it.

const { kafka, admin, topicsForThisTest } = relayTestKafka();

const record = (topic: string, n: number) => ({
  topic,
  message: { key: 'acc/one-key', value: JSON.stringify({ n, seq: n }) },
});

async function createTopic(topic: string): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
  });
}

describe('a send after one whose answer was lost', () => {
  it('is written, not acknowledged as a repeat of the lost one', async () => {
    const { commands } = topicsForThisTest();
    await createTopic(commands);
    const proxy = await startKafkaProxy(brokers);
    const retired: string[] = [];
    const publisher = new KafkaPublisher(
      (socketFactory) =>
        createKafka({ brokers: proxy.brokers.split(','), clientId: 'relay-publisher-test', socketFactory }),
      (reason) => retired.push(reason),
    );
    try {
      await publisher.send([record(commands, 0)]);
      // Record 1 is written; its answer is lost and Kafka stays out of reach until the send fails.
      const lost = proxy.cutAtResponse(produceApiKey, 1);
      await expect(publisher.send([record(commands, 1)])).rejects.toThrow();
      await lost;
      proxy.restore();
      // kafkajs took back the failed request's sequence numbers: a producer that kept them would
      // send record 2 with record 1's, and the broker would answer "written" without writing it.
      await publisher.send([record(commands, 2)]);
    } finally {
      await publisher.close();
      await proxy.close();
    }

    const numbers = (await readTopic(kafka, commands, 3, 10_000)).map((consumed) => consumed.payload.n);
    expect(new Set(numbers)).toEqual(new Set([0, 1, 2]));
    expect(retired).toEqual(['failed_send']);
  }, 60_000);
});

describe('a send kafkajs retried internally', () => {
  it('succeeds, and the next send goes through a new producer', async () => {
    const { commands } = topicsForThisTest();
    await createTopic(commands);
    const proxy = await startKafkaProxy(brokers);
    let clients = 0;
    const retired: string[] = [];
    const publisher = new KafkaPublisher(
      (socketFactory) => {
        clients += 1;
        return createKafka({
          brokers: proxy.brokers.split(','),
          clientId: 'relay-publisher-test',
          socketFactory,
        });
      },
      (reason) => retired.push(reason),
    );
    try {
      await publisher.send([record(commands, 0)]);
      // The answer to record 1 is lost and Kafka is back at once: kafkajs' own retry succeeds.
      const lost = proxy.cutAtResponse(produceApiKey, 1).then(() => proxy.restore());
      await publisher.send([record(commands, 1)]);
      await lost;
      expect(clients).toBe(1);
      await publisher.send([record(commands, 2)]);
      expect(clients).toBe(2);
      expect(retired).toEqual(['retried_send']);
    } finally {
      await publisher.close();
      await proxy.close();
    }

    const numbers = (await readTopic(kafka, commands, 3, 10_000)).map((consumed) => consumed.payload.n);
    expect(new Set(numbers)).toEqual(new Set([0, 1, 2]));
  }, 60_000);
});
