import type { GroupMember } from '../groups/describeConsumerGroups.js';
import type { InboxRetention } from './inboxHorizon.js';

/** Where a replay starts: every partition's first record, the first record at or after a time, or given offsets. */
export type ReplayStart =
  | { kind: 'earliest' }
  | { kind: 'timestamp'; at: Date }
  /** Partition → offset; partitions not listed keep their position. */
  | { kind: 'offsets'; offsets: ReadonlyMap<number, number> };

/** What a replay plan is computed from: the topic and group as they are now. */
export interface ReplayState {
  topic: string;
  /** The group whose offsets move. */
  group: string;
  /** With `--into-group`: the group being copied; its own offsets are left alone. */
  sourceGroup?: string;
  /** Live members of `group`. */
  members: readonly GroupMember[];
  partitions: readonly {
    partition: number;
    low: number;
    high: number;
    committed: number | null;
    stored: number | null;
  }[];
  /** The start offset of each partition, resolved from the start (earliest: low; a time: by timestamp). */
  startOffsets: ReadonlyMap<number, number>;
  /** Absent when re-reading this topic cannot run a command again (no inbox, or it keeps everything). */
  horizon?: { at: Date; retention: InboxRetention; offsets: ReadonlyMap<number, number> };
}

export interface ReplayPartition {
  partition: number;
  /** Where the group stands: the furthest of its stored (PostgreSQL) and committed (Kafka) offsets; null if it never consumed the topic. */
  from: number | null;
  committed: number | null;
  stored: number | null;
  /** The offset both stores are set to. */
  to: number;
  low: number;
  high: number;
  /** Records the group reads again that it (or the source group) had passed. */
  records: number;
  /** Records the group jumps over (a start ahead of where it stands). */
  skipped: number;
}

export interface ReplayPlan {
  kind: 'plan';
  topic: string;
  group: string;
  sourceGroup?: string;
  partitions: ReplayPartition[];
  records: number;
  skipped: number;
  horizon?: { at: Date; retention: InboxRetention };
  /** Dry runs only: what the real run needs first (it would be refused now), in words. */
  needs?: string[];
}

export type ReplayRefusalReason =
  | 'live_members'
  | 'group_not_fresh'
  | 'beyond_horizon'
  | 'unknown_partition'
  | 'offset_out_of_range';

export interface ReplayRefusal {
  kind: 'refused';
  reason: ReplayRefusalReason;
  message: string;
  /** For `beyond_horizon`: the partitions whose start is older than the horizon. */
  beyondHorizon?: { partition: number; offset: number; horizonOffset: number }[];
  horizon?: { at: Date; retention: InboxRetention };
  members?: GroupMember[];
}

/**
 * Decides a replay from the state of the topic and the group (pure): the plan (partitions, from →
 * to, how many records), or why it is refused. Refused: a group with live members (they would
 * overwrite the offsets, and a replay must move Kafka's and PostgreSQL's offsets together); with
 * `--into-group`, a group that already has offsets on the topic; a start outside a partition; and
 * a start that re-reads records older than the inbox horizon, where a command could run again.
 */
export function computeReplayPlan(
  state: ReplayState,
  start: ReplayStart,
  { dryRun = false }: { dryRun?: boolean } = {},
): ReplayPlan | ReplayRefusal {
  const needs: string[] = [];
  const known = new Set(state.partitions.map((partition) => partition.partition));
  if (start.kind === 'offsets') {
    const unknown = [...start.offsets.keys()].filter((partition) => !known.has(partition));
    if (unknown.length > 0) {
      return refusal(
        'unknown_partition',
        `${state.topic} has partitions 0 to ${known.size - 1}; there is no partition ${unknown.join(', ')}`,
      );
    }
    for (const partition of state.partitions) {
      const offset = start.offsets.get(partition.partition);
      if (offset !== undefined && (offset < partition.low || offset > partition.high)) {
        return refusal(
          'offset_out_of_range',
          `partition ${partition.partition} of ${state.topic} holds offsets ${partition.low} to ${partition.high} ` +
            `(the end); ${offset} is outside them`,
        );
      }
    }
  }

  const who = state.members.map((member) => `${member.clientId}@${member.host}`).join(', ');
  // A dry run changes nothing, so live members cannot disturb it: it plans, and says what the
  // real run would need.
  if (state.members.length > 0 && dryRun) {
    needs.push(`stop group ${state.group}'s ${state.members.length} live member(s) (${who})`);
  } else if (state.members.length > 0) {
    return {
      ...refusal(
        'live_members',
        `group ${state.group} has ${state.members.length} live member(s) (${who}): stop them first, ` +
          'because a live consumer commits over the new offsets and a replay must move Kafka’s and ' +
          'PostgreSQL’s offsets together' +
          (state.sourceGroup === undefined ? '; or replay into a fresh group with --into-group NAME' : ''),
      ),
      members: [...state.members],
    };
  }

  if (state.sourceGroup !== undefined) {
    const used = state.partitions.some(
      (partition) => partition.committed !== null || partition.stored !== null,
    );
    if (used) {
      return refusal(
        'group_not_fresh',
        `group ${state.group} already has offsets on ${state.topic}: --into-group needs a new group name ` +
          `(or replay that group itself with --group ${state.group})`,
      );
    }
  }

  const partitions: ReplayPartition[] = [];
  for (const partition of state.partitions) {
    const to = state.startOffsets.get(partition.partition);
    if (to === undefined) continue;
    const positions = [partition.committed, partition.stored].filter(
      (offset): offset is number => offset !== null,
    );
    const from = state.sourceGroup === undefined && positions.length > 0 ? Math.max(...positions) : null;
    const readUntil = from ?? partition.high;
    partitions.push({
      partition: partition.partition,
      from,
      committed: partition.committed,
      stored: partition.stored,
      to,
      low: partition.low,
      high: partition.high,
      records: Math.max(0, readUntil - to),
      skipped: from === null ? 0 : Math.max(0, to - from),
    });
  }

  const horizon = state.horizon;
  if (horizon !== undefined) {
    const beyond = partitions
      .filter((partition) => partition.records > 0)
      .map((partition) => ({
        partition: partition.partition,
        offset: partition.to,
        horizonOffset: horizon.offsets.get(partition.partition) ?? partition.high,
        readUntil: partition.from ?? partition.high,
      }))
      .filter((entry) => entry.offset < Math.min(entry.readUntil, entry.horizonOffset))
      .map(({ partition, offset, horizonOffset }) => ({ partition, offset, horizonOffset }));
    if (beyond.length > 0) {
      return {
        ...refusal(
          'beyond_horizon',
          `the replay would re-read records of ${state.topic} written before the inbox horizon ` +
            `${horizon.at.toISOString()} (partitions ${beyond.map((entry) => entry.partition).join(', ')})`,
        ),
        beyondHorizon: beyond,
        horizon: { at: horizon.at, retention: horizon.retention },
      };
    }
  }

  return {
    kind: 'plan',
    topic: state.topic,
    group: state.group,
    ...(state.sourceGroup === undefined ? {} : { sourceGroup: state.sourceGroup }),
    partitions,
    records: partitions.reduce((sum, partition) => sum + partition.records, 0),
    skipped: partitions.reduce((sum, partition) => sum + partition.skipped, 0),
    ...(horizon === undefined ? {} : { horizon: { at: horizon.at, retention: horizon.retention } }),
    ...(needs.length === 0 ? {} : { needs }),
  };
}

function refusal(reason: ReplayRefusalReason, message: string): ReplayRefusal {
  return { kind: 'refused', reason, message };
}
