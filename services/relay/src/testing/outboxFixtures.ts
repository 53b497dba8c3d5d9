import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { enqueueOutbox, notifyOutbox, type OutboxEntry } from '@exactly/outbox';
import { type Orm, runSql } from '@exactly/persistence';
import type { Kafka } from 'kafkajs';

/** What a test row carries: its number, so the topic can be checked for loss, duplicates and order. */
export interface TestPayload {
  n: number;
  /** Position among the rows of the same key. */
  seq: number;
}

/** Rows numbered from `first`, `perKey` consecutive rows sharing a key, committed in transactions of `perTransaction`. */
export async function seedOutbox(
  orm: Orm,
  {
    topic,
    count,
    first = 0,
    perKey = 1,
    perTransaction = 500,
    keyPrefix = randomUUID(),
  }: {
    topic: string;
    count: number;
    first?: number;
    perKey?: number;
    perTransaction?: number;
    keyPrefix?: string;
  },
): Promise<void> {
  for (let start = first; start < first + count; start += perTransaction) {
    const entries: OutboxEntry[] = [];
    for (let n = start; n < Math.min(start + perTransaction, first + count); n++) {
      const keyIndex = Math.floor(n / perKey);
      entries.push({
        topic,
        kafkaKey: `${keyPrefix}/${keyIndex}`,
        payload: { n, seq: n % perKey } satisfies TestPayload,
        headers: { 'exactly-message-id': `msg_${n}`, 'content-type': 'application/json' },
      });
    }
    const em = orm.em.fork();
    await em.transactional((tx) => enqueueOutbox(tx, entries));
    await notifyOutbox(orm.em.fork());
  }
}

export async function countRows(orm: Orm, where: string): Promise<number> {
  const { rows } = await runSql<{ count: string }>(
    orm.em.fork(),
    `SELECT count(*) AS count FROM outbox WHERE ${where}`,
  );
  return Number(rows[0]?.count ?? 0);
}

/** Waits until no outbox row is unpublished, or throws after `timeoutMs`. */
export async function waitForDrained(orm: Orm, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await countRows(orm, 'published_at IS NULL');
    if (left === 0) return;
    if (Date.now() > deadline) throw new Error(`${left} outbox rows still unpublished after ${timeoutMs} ms`);
    await sleep(100);
  }
}

export interface ConsumedRecord {
  key: string;
  payload: TestPayload;
  headers: Record<string, string>;
  partition: number;
  offset: string;
}

/** Reads a topic from the beginning until `count` records arrived (or `timeoutMs` passed). */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<ConsumedRecord[]> {
  const consumer = kafka.consumer({ groupId: `relay-test-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const records: ConsumedRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done: () => void = () => {};
    const enough = new Promise<void>((resolve) => {
      done = resolve;
    });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          records.push({
            key: message.key?.toString() ?? '',
            payload: JSON.parse(message.value?.toString() ?? 'null') as TestPayload,
            headers: Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
            ),
            partition: batch.partition,
            offset: message.offset,
          });
        }
        if (records.length >= count) done();
      },
    });
    const timeout = new AbortController();
    await Promise.race([enough, sleep(timeoutMs, undefined, { signal: timeout.signal }).catch(() => {})]);
    timeout.abort();
    // A little longer, so duplicates beyond `count` show up too.
    await sleep(300);
    return records;
  } finally {
    await consumer.disconnect();
  }
}

/** Per key, the sequence numbers in topic order (partition order is key order). */
export function sequencesPerKey(records: readonly ConsumedRecord[]): Map<string, number[]> {
  const perKey = new Map<string, number[]>();
  const ordered = [...records].sort((a, b) =>
    a.partition === b.partition ? Number(BigInt(a.offset) - BigInt(b.offset)) : a.partition - b.partition,
  );
  for (const record of ordered) {
    const list = perKey.get(record.key) ?? [];
    list.push(record.payload.seq);
    perKey.set(record.key, list);
  }
  return perKey;
}

/** Drops later duplicates, keeping each value's first occurrence. */
export function firstOccurrences(values: readonly number[]): number[] {
  const seen = new Set<number>();
  return values.filter((value) => !seen.has(value) && seen.add(value) !== undefined);
}
