import { ExactlyError } from '@exactly/errors';
import type { Admin } from 'kafkajs';

/** A partition's offsets: `low` is its first record still kept, `high` the offset the next record gets. */
export interface PartitionRange {
  partition: number;
  low: number;
  high: number;
}

/** Every partition's range, by partition number; `not_found` when the topic does not exist. */
export async function readTopicOffsets(admin: Admin, topic: string): Promise<PartitionRange[]> {
  await assertTopicExists(admin, topic);
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets
    .map((entry) => ({ partition: entry.partition, low: toOffset(entry.low), high: toOffset(entry.high) }))
    .sort((a, b) => a.partition - b.partition);
}

/**
 * For each partition, the first offset whose record was written at or after `at` (the end of the
 * partition when none was): Kafka's ListOffsets by timestamp.
 */
export async function offsetsAtTime(admin: Admin, topic: string, at: Date): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, at.getTime());
  return new Map(offsets.map((entry) => [entry.partition, toOffset(entry.offset)]));
}

export async function assertTopicExists(admin: Admin, topic: string): Promise<void> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) {
    throw new ExactlyError('not_found', `topic ${topic} does not exist`, { details: { topic } });
  }
}

/** Kafka offsets are 64-bit; an operator's tools handle them as numbers up to 2^53. */
export function toOffset(value: string): number {
  const offset = Number(value);
  if (!Number.isSafeInteger(offset)) throw new ExactlyError('internal', `offset ${value} is out of range`);
  return offset;
}
