import type { EntityManager } from '@mikro-orm/postgresql';
import type { Admin, Kafka } from 'kafkajs';
import type { GroupMember } from '../groups/describeConsumerGroups.js';
import { describeConsumerGroups } from '../groups/describeConsumerGroups.js';
import { offsetsAtTime, readTopicOffsets } from '../kafka/readTopicOffsets.js';
import {
  computeReplayPlan,
  type ReplayPlan,
  type ReplayRefusal,
  type ReplayStart,
} from './computeReplayPlan.js';
import { horizonSetBy, type InboxRetention, inboxHorizon } from './inboxHorizon.js';
import { readRecordTimestamps } from './readRecordTimestamps.js';

export interface ReplayRequest {
  topic: string;
  /** The group to replay; with `intoGroup`, the group being copied (left alone). */
  group: string;
  /** Replay into this new group instead: it gets the start offsets in both stores. */
  intoGroup?: string;
  start: ReplayStart;
  /**
   * The dispatcher's inbox retention, when re-reading the topic can run commands again (the
   * commands topic); omitted for topics whose records run nothing.
   */
  inbox?: InboxRetention;
  now?: Date;
  /** Plan only: live members do not refuse it, the plan says they must stop first (`needs`). */
  dryRun?: boolean;
}

export interface ReplayDependencies {
  kafka: Kafka;
  admin: Admin;
  em: EntityManager;
}

/**
 * Reads the topic's offsets, the group's members and both stores' offsets, and decides the
 * replay (see `computeReplayPlan`). Changes nothing: this is also the dry run. A refusal beyond
 * the inbox horizon names the date of the oldest record the replay would re-read and the horizon.
 */
export async function planReplay(
  deps: ReplayDependencies,
  request: ReplayRequest,
): Promise<ReplayPlan | ReplayRefusal> {
  const { admin, em } = deps;
  const group = request.intoGroup ?? request.group;
  const now = request.now ?? new Date();
  const ranges = await readTopicOffsets(admin, request.topic);
  const [report] = await describeConsumerGroups({ admin, em }, { groupIds: [group], topic: request.topic });
  const members: GroupMember[] = report?.members ?? [];
  const positions = report?.topics.find((entry) => entry.topic === request.topic)?.partitions ?? [];

  const start = request.start;
  const startOffsets =
    start.kind === 'earliest'
      ? new Map(ranges.map((range) => [range.partition, range.low]))
      : start.kind === 'timestamp'
        ? await offsetsAtTime(admin, request.topic, start.at)
        : new Map(start.offsets);

  const horizonAt = request.inbox ? inboxHorizon(now, request.inbox) : undefined;
  const horizon =
    horizonAt && request.inbox
      ? {
          at: horizonAt,
          retention: request.inbox,
          offsets: await offsetsAtTime(admin, request.topic, horizonAt),
        }
      : undefined;

  const decision = computeReplayPlan(
    {
      topic: request.topic,
      group,
      ...(request.intoGroup === undefined ? {} : { sourceGroup: request.group }),
      members,
      partitions: ranges.map((range) => {
        const position = positions.find((entry) => entry.partition === range.partition);
        return { ...range, committed: position?.committed ?? null, stored: position?.stored ?? null };
      }),
      startOffsets,
      ...(horizon === undefined ? {} : { horizon }),
    },
    start,
    { dryRun: request.dryRun ?? false },
  );
  if (decision.kind === 'refused' && decision.reason === 'beyond_horizon' && decision.horizon) {
    return { ...decision, message: await beyondHorizonMessage(deps, request, decision) };
  }
  return decision;
}

async function beyondHorizonMessage(
  deps: ReplayDependencies,
  request: ReplayRequest,
  refusal: ReplayRefusal,
): Promise<string> {
  const beyond = refusal.beyondHorizon ?? [];
  const horizon = refusal.horizon;
  if (horizon === undefined) return refusal.message;
  // The records' own times: a start time names where to look, not when the first record re-read was written.
  let startDate: Date | undefined;
  let where = '';
  const times = await readRecordTimestamps(deps, request.topic, beyond).catch(() => new Map<number, Date>());
  for (const entry of beyond) {
    const time = times.get(entry.partition);
    if (time !== undefined && (startDate === undefined || time < startDate)) {
      startDate = time;
      where = ` (partition ${entry.partition}, offset ${entry.offset})`;
    }
  }
  if (startDate === undefined && request.start.kind === 'timestamp') startDate = request.start.at;
  const written = `${startDate ? `on ${startDate.toISOString()}${where}` : 'before the horizon'}`;
  const start = `Start at or after the horizon, for example --to-datetime ${horizon.at.toISOString()}.`;
  const { retentionMs, relayMaxLagMs, replayMaxAgeMs } = horizon.retention;
  if (horizonSetBy(horizon.retention) === 'REPLAY_MAX_AGE')
    return (
      `replay refused: it would re-read records of ${request.topic} written ${written}, older than the inbox ` +
      `horizon ${horizon.at.toISOString()} (now − REPLAY_MAX_AGE ${formatDuration(replayMaxAgeMs ?? 0)}, the ` +
      `longest replay allowed). ${start}`
    );
  return (
    `replay refused: it would re-read records of ${request.topic} written ${written}, older than the inbox ` +
    `horizon ${horizon.at.toISOString()} (now − INBOX_RETENTION ${formatDuration(retentionMs)} + RELAY_MAX_LAG ` +
    `${formatDuration(relayMaxLagMs)}). The dispatcher's inbox may have forgotten those commands, so one could ` +
    `run a second time. ${start}`
  );
}

/** 30d, 12h, 90s… for messages. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'forever';
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  for (const [unit, size] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
