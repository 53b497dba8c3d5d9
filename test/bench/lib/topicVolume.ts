// What a run wrote to Kafka: records and their bytes (key, value, header keys and values) per
// topic, for records stamped (CreateTime) within a time window, read back from the topics.

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '@exactly/messaging';

export interface TopicVolume {
  topic: string;
  records: number;
  /** Keys, values and headers: the records' payload, before Kafka's own framing and replication. */
  payloadBytes: number;
}

export async function topicVolume(
  brokers: string[],
  topics: string[],
  window: { fromMs: number; toMs: number },
): Promise<TopicVolume[]> {
  const kafka = createKafka({ brokers, clientId: 'bench-topic-volume' });
  const admin = kafka.admin();
  await admin.connect();
  // Where each partition ends now: reading stops there.
  const ends = new Map<string, number>();
  for (const topic of topics)
    for (const { partition, high } of await admin.fetchTopicOffsets(topic))
      if (Number(high) > 0) ends.set(`${topic}/${partition}`, Number(high) - 1);
  await admin.disconnect();
  const volumes = new Map(topics.map((topic) => [topic, { topic, records: 0, payloadBytes: 0 }]));
  const consumer = kafka.consumer({ groupId: `bench-topic-volume-${randomUUID()}` });
  await consumer.connect();
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Set<string>();
    let lastProgress = performance.now();
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const at = Number(message.timestamp);
          const volume = volumes.get(batch.topic);
          if (volume && at >= window.fromMs && at <= window.toMs) {
            volume.records += 1;
            volume.payloadBytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
            for (const [name, value] of Object.entries(message.headers ?? {}))
              volume.payloadBytes +=
                Buffer.byteLength(name) +
                (Array.isArray(value) ? value : [value]).reduce(
                  (sum, part) => sum + (part === undefined ? 0 : Buffer.byteLength(part)),
                  0,
                );
          }
          const key = `${batch.topic}/${batch.partition}`;
          if (Number(message.offset) >= (ends.get(key) ?? Number.POSITIVE_INFINITY)) done.add(key);
        }
        lastProgress = performance.now();
      },
    });
    while (done.size < ends.size && performance.now() - lastProgress < 10_000) await sleep(100);
  } finally {
    await consumer.disconnect();
  }
  return [...volumes.values()];
}
