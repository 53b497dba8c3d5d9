import { createKafka } from '@exactly/messaging';
import { brokers, testTopics } from './inProcessRelay.js';

/**
 * The Kafka side of a relay test file: a reader client, an admin connected for the file, and
 * topics of each test's own, deleted after the file. Call it at the top of the file: it
 * registers the file's beforeAll and afterAll.
 */
export function relayTestKafka() {
  const kafka = createKafka({ brokers, clientId: 'relay-test-reader' });
  const admin = kafka.admin();
  const toDelete: string[] = [];
  beforeAll(async () => {
    await admin.connect();
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: toDelete }).catch(() => {});
    await admin.disconnect();
  });
  return {
    kafka,
    admin,
    /** Topic names of this test's own (deleted after the file), and the relay variables that name them. */
    topicsForThisTest() {
      const topics = testTopics();
      toDelete.push(...topics.all);
      return topics;
    },
  };
}
