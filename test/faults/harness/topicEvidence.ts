import { createKafka } from '@exactly/messaging';

/**
 * What the commands and message-events topics hold, read after a run by a consumer of the
 * checker's own (read_committed, from the beginning up to the end each partition had when the
 * read began): evidence the system under test does not write about itself.
 */
export interface TopicEvidence {
  /** Message ids of the run's account on the commands topic, with how many records each has. */
  commands: Map<string, number>;
  /** Per Kafka key, the message ids of its commands in the order they first appear on the topic. */
  commandOrder: Map<string, string[]>;
  /** Per message (stream), the event versions in the order the topic holds them. */
  eventVersions: Map<string, number[]>;
}

export interface TopicRecord {
  partition: number;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/**
 * Every record of `topic` up to its current end, in partition order (bounded: 60 s a try).
 * A scenario that killed a broker may leave it answering its first connections with a refusal
 * while it rejoins; reading is idempotent (a fresh group each try), so a Kafka error is tried
 * again, up to four times, rather than taken as the run's verdict.
 */
export async function readWholeTopic(brokers: string[], topic: string): Promise<TopicRecord[]> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await readWholeTopicOnce(brokers, topic);
    } catch (error) {
      if (attempt >= 4 || !(error as Error).name?.startsWith('KafkaJS')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
  }
}

async function readWholeTopicOnce(brokers: string[], topic: string): Promise<TopicRecord[]> {
  const kafka = createKafka({ brokers, clientId: 'faults-evidence' });
  const admin = kafka.admin();
  await admin.connect();
  const exists = (await admin.listTopics()).includes(topic);
  const ends = exists ? await admin.fetchTopicOffsets(topic) : [];
  await admin.disconnect();
  const remaining = new Map(
    ends.filter((end) => Number(end.high) > Number(end.low)).map((end) => [end.partition, Number(end.high)]),
  );
  if (remaining.size === 0) return [];
  const groupId = `faults-evidence-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  // kafkajs reads read_committed unless told otherwise (readUncommitted: false).
  const consumer = kafka.consumer({ groupId, readUncommitted: false });
  const records: TopicRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const complete = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`reading ${topic} took over 60 s; ${remaining.size} partition(s) unfinished`)),
      60_000,
    );
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const end = remaining.get(partition);
        if (end === undefined) return;
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, header]) => [name, header?.toString() ?? '']),
        );
        records.push({
          partition,
          key: message.key?.toString('utf8') ?? null,
          value: message.value,
          headers,
        });
        if (Number(message.offset) + 1 >= end) remaining.delete(partition);
        if (remaining.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  try {
    await complete;
  } finally {
    await consumer.disconnect();
    const deleter = kafka.admin();
    await deleter.connect();
    await deleter.deleteGroups([groupId]).catch(() => {});
    await deleter.disconnect();
  }
  return records;
}

function parse(value: Buffer | null): Record<string, unknown> | undefined {
  try {
    return JSON.parse(value?.toString('utf8') ?? '') as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Reads both topics and keeps the records of one account. */
export async function readTopicEvidence(
  brokers: string[],
  topics: { commands: string; events: string },
  accountId: string,
): Promise<TopicEvidence> {
  const [commandRecords, eventRecords] = await Promise.all([
    readWholeTopic(brokers, topics.commands),
    readWholeTopic(brokers, topics.events),
  ]);
  const commands = new Map<string, number>();
  const commandOrder = new Map<string, string[]>();
  for (const record of commandRecords) {
    const data = parse(record.value)?.data as { messageId?: string; accountId?: string } | undefined;
    if (data?.accountId !== accountId || data.messageId === undefined) continue;
    const seen = commands.get(data.messageId) ?? 0;
    commands.set(data.messageId, seen + 1);
    if (seen === 0 && record.key !== null)
      commandOrder.set(record.key, [...(commandOrder.get(record.key) ?? []), data.messageId]);
  }
  const eventVersions = new Map<string, number[]>();
  for (const record of eventRecords) {
    const metadata = parse(record.value)?.metadata as
      | { streamId?: string; version?: number; accountId?: string }
      | undefined;
    if (metadata?.accountId !== accountId || metadata.streamId === undefined) continue;
    if (typeof metadata.version !== 'number') continue;
    eventVersions.set(metadata.streamId, [...(eventVersions.get(metadata.streamId) ?? []), metadata.version]);
  }
  return { commands, commandOrder, eventVersions };
}

/**
 * Per-message order on the events topic, as a consumer that skips versions it has seen reads it:
 * each version first appears in order, starting at 1, without a gap. A version that comes again
 * after a newer one is a stale re-publish (a relay that died after the broker's ack sends its
 * batch again; a consumer skips it): counted, not a violation.
 */
export function checkEventOrder(eventVersions: ReadonlyMap<string, readonly number[]>): {
  violations: string[];
  staleRepeats: number;
} {
  const violations: string[] = [];
  let staleRepeats = 0;
  for (const [streamId, versions] of eventVersions) {
    let highest = 0;
    for (const [index, version] of versions.entries()) {
      if (version <= highest) {
        if (version < highest) staleRepeats += 1;
        continue;
      }
      if (version > highest + 1) {
        const arrivesLater = versions.slice(index + 1).includes(highest + 1);
        violations.push(
          arrivesLater
            ? `message ${streamId}'s events are out of order on the events topic: ${versions.join(', ')}`
            : `message ${streamId}'s events skip from version ${highest} to ${version} on the events topic: ${versions.join(', ')}`,
        );
        break;
      }
      highest = version;
    }
  }
  return { violations, staleRepeats };
}

/** Acknowledged commands the commands topic never received: lost between the outbox and Kafka. */
export function commandsMissingFromTopic(
  acknowledged: Iterable<string>,
  commands: ReadonlyMap<string, number>,
): string[] {
  return [...acknowledged].filter((messageId) => !commands.has(messageId));
}

/** When the client began the call that created a message, and when that call was answered with it. */
export interface CommitWindow {
  calledAt: number;
  acknowledgedAt: number;
}

/**
 * Per Kafka key, commands reach the dispatcher in the order they were committed. The client's
 * history is the evidence: a command acknowledged before another command's call even began was
 * committed first, so it must first appear on the topic before that one (a partition is read in
 * order). Commands whose calls overlapped have no order to keep.
 */
export function checkCommandOrder(
  commandOrder: ReadonlyMap<string, readonly string[]>,
  windows: ReadonlyMap<string, CommitWindow>,
): { violations: string[]; keysWithSeveral: number } {
  const violations: string[] = [];
  let keysWithSeveral = 0;
  for (const [kafkaKey, messageIds] of commandOrder) {
    if (messageIds.length < 2) continue;
    keysWithSeveral += 1;
    for (const [index, earlier] of messageIds.entries()) {
      const earlierWindow = windows.get(earlier);
      if (earlierWindow === undefined) continue;
      const overtaken = messageIds
        .slice(index + 1)
        .find(
          (later) =>
            (windows.get(later)?.acknowledgedAt ?? Number.POSITIVE_INFINITY) < earlierWindow.calledAt,
        );
      if (overtaken !== undefined) {
        violations.push(
          `key ${kafkaKey}: command ${overtaken} was committed before ${earlier} was even sent, yet reached the commands topic after it: ${messageIds.join(', ')}`,
        );
        break;
      }
    }
  }
  return { violations, keysWithSeveral };
}
