import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';
import { commitGroupOffsets, type PartitionOffset } from '../kafka/commitGroupOffsets.js';
import { readTopicOffsets } from '../kafka/readTopicOffsets.js';

/**
 * When the records at some offsets were written (their Kafka timestamps), read by a throw-away
 * consumer group that starts exactly there and is deleted afterwards. Partitions whose record
 * could not be read within `timeoutMs` are missing from the result.
 */
export async function readRecordTimestamps(
  { kafka, admin }: { kafka: Kafka; admin: Admin },
  topic: string,
  positions: readonly PartitionOffset[],
  { timeoutMs = 10_000 }: { timeoutMs?: number } = {},
): Promise<Map<number, Date>> {
  const found = new Map<number, Date>();
  const ranges = await readTopicOffsets(admin, topic);
  const wanted = new Map(
    positions
      .filter(({ partition, offset }) => {
        const range = ranges.find((candidate) => candidate.partition === partition);
        return range !== undefined && offset >= range.low && offset < range.high;
      })
      .map(({ partition, offset }) => [partition, offset]),
  );
  if (wanted.size === 0) return found;
  const groupId = `exactly-operations-peek-${randomUUID()}`;
  // Every other partition starts at its end, so the consumer reads nothing else.
  await commitGroupOffsets(
    kafka,
    groupId,
    topic,
    ranges.map((range) => ({
      partition: range.partition,
      offset: wanted.get(range.partition) ?? range.high,
    })),
  );
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  const complete = Promise.withResolvers<void>();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const offset = wanted.get(batch.partition);
        const first = batch.messages.find(
          (message) => offset !== undefined && Number(message.offset) >= offset,
        );
        if (first === undefined || found.has(batch.partition)) return;
        found.set(batch.partition, new Date(Number(first.timestamp)));
        if (found.size === wanted.size) complete.resolve();
      },
    });
    const timedOut = new AbortController();
    await Promise.race([
      complete.promise,
      sleep(timeoutMs, undefined, { signal: timedOut.signal }).catch(() => undefined),
    ]);
    timedOut.abort();
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return found;
}
