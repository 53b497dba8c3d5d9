import type { Kafka } from 'kafkajs';
import { fetchTopicId } from './fetchTopicId.js';

/** The commands topic's id, fetched once and again whenever the log may have changed. */
export interface TopicIdentity {
  /** The id last fetched (fetching it first if needed). A failed fetch is tried again on the next call. */
  get(): Promise<string>;
  /** Forgets the id: the next `get` asks a broker again. */
  refresh(): void;
}

export function createTopicIdentity(kafka: Kafka, topic: string): TopicIdentity {
  let current: Promise<string> | undefined;
  const fetchId = async (): Promise<string> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { brokers } = await admin.describeCluster();
      let lastError: unknown = new Error('the cluster lists no brokers');
      for (const broker of brokers) {
        try {
          return await fetchTopicId(broker, topic);
        } catch (error) {
          lastError = error;
        }
      }
      throw lastError;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };
  return {
    get() {
      if (!current) {
        const fetching = fetchId();
        fetching.catch(() => {
          if (current === fetching) current = undefined;
        });
        current = fetching;
      }
      return current;
    },
    refresh() {
      current = undefined;
    },
  };
}
