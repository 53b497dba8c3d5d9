import { randomUUID } from 'node:crypto';
import { MessageEventRecord } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import { advanceProjections, type ReadEvent } from '@exactly/message-store';
import type { Orm } from '@exactly/persistence';
import type { Admin, Kafka } from 'kafkajs';
import { commitGroupOffsets } from '../kafka/commitGroupOffsets.js';
import { offsetsAtTime, readTopicOffsets } from '../kafka/readTopicOffsets.js';
import type { ReplayStart } from './computeReplayPlan.js';

export interface ReprocessRequest {
  /** The message-events topic. */
  topic: string;
  start: ReplayStart;
  /** Only the plan: partitions, from → to, records. */
  dryRun?: boolean;
  /** Called after each applied batch with the records read so far and the total. */
  onProgress?: (read: number, total: number) => void;
  /** Gives up when no record arrives for this long before the end is reached (default 30 s). */
  idleTimeoutMs?: number;
}

export interface ReprocessReport {
  topic: string;
  dryRun: boolean;
  partitions: { partition: number; from: number; to: number; records: number }[];
  records: number;
  read: number;
  /** Records that are not a MessageEventRecord. */
  invalid: number;
  /** Events the `messages` projection did not have yet and now has. */
  applied: number;
  alreadyApplied: number;
  /** Events not applied because an earlier version of their stream is missing from what was read. */
  gaps: number;
  /** Events of streams that have no `messages` row (the projection cannot be created from events alone). */
  missingRows: number;
  rowsChanged: number;
}

/**
 * Rebuilds the `messages` read model from the message-events topic: reads it from the start
 * point up to the end it has now (a throw-away consumer group, deleted afterwards) and applies
 * each event the projection has not seen yet, in stream order, with the live writers' status fold
 * (the message store's `advanceProjections`). Idempotent: an event at or below a row's version is
 * skipped, so reading the topic again changes nothing, and live writers can run meanwhile (rows
 * are locked per batch).
 */
export async function reprocessMessageEvents(
  { kafka, admin, orm }: { kafka: Kafka; admin: Admin; orm: Orm },
  request: ReprocessRequest,
): Promise<ReprocessReport> {
  const ranges = await readTopicOffsets(admin, request.topic);
  const start = request.start;
  const starts =
    start.kind === 'earliest'
      ? new Map(ranges.map((range) => [range.partition, range.low]))
      : start.kind === 'timestamp'
        ? await offsetsAtTime(admin, request.topic, start.at)
        : new Map(start.offsets);
  const partitions = ranges
    .filter((range) => starts.has(range.partition))
    .map((range) => {
      const from = Math.min(Math.max(starts.get(range.partition) ?? range.high, range.low), range.high);
      return { partition: range.partition, from, to: range.high, records: range.high - from };
    });
  const report: ReprocessReport = {
    topic: request.topic,
    dryRun: request.dryRun ?? false,
    partitions,
    records: partitions.reduce((sum, partition) => sum + partition.records, 0),
    read: 0,
    invalid: 0,
    applied: 0,
    alreadyApplied: 0,
    gaps: 0,
    missingRows: 0,
    rowsChanged: 0,
  };
  const pending = new Map(
    partitions.filter((entry) => entry.records > 0).map((entry) => [entry.partition, entry.to]),
  );
  if (report.dryRun || pending.size === 0) return report;

  const groupId = `exactly-reprocess-${randomUUID()}`;
  await commitGroupOffsets(
    kafka,
    groupId,
    request.topic,
    ranges.map((range) => ({
      partition: range.partition,
      offset: partitions.find((entry) => entry.partition === range.partition)?.from ?? range.high,
    })),
  );
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
  const finished = Promise.withResolvers<void>();
  let lastRecordAt = Date.now();
  const idleTimeoutMs = request.idleTimeoutMs ?? 30_000;
  const watchdog = setInterval(() => {
    if (Date.now() - lastRecordAt > idleTimeoutMs) {
      finished.reject(
        new ExactlyError(
          'unavailable',
          `no record of ${request.topic} arrived for ${idleTimeoutMs} ms before its end`,
        ),
      );
    }
  }, 250);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: request.topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = pending.get(batch.partition);
        if (end === undefined) return;
        lastRecordAt = Date.now();
        const messages = batch.messages.filter((message) => Number(message.offset) < end);
        const events: ReadEvent[] = [];
        for (const message of messages) {
          const parsed = MessageEventRecord.safeParse(parseJson(message.value?.toString('utf8')));
          if (parsed.success)
            events.push({
              streamId: parsed.data.metadata.streamId,
              version: parsed.data.metadata.version,
              type: parsed.data.type,
            });
          else report.invalid += 1;
        }
        const applied = await advanceProjections(orm, events);
        report.read += messages.length;
        report.applied += applied.applied;
        report.alreadyApplied += applied.alreadyApplied;
        report.gaps += applied.gaps;
        report.missingRows += applied.missingRows;
        report.rowsChanged += applied.rowsChanged;
        request.onProgress?.(report.read, report.records);
        const last = batch.messages[batch.messages.length - 1];
        if (last !== undefined && Number(last.offset) + 1 >= end) {
          pending.delete(batch.partition);
          if (pending.size === 0) finished.resolve();
        }
      },
    });
    await finished.promise;
  } finally {
    clearInterval(watchdog);
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return report;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
