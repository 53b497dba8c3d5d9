/** A table partitioned by RANGE of a key that starts with a UUIDv7 message id (see idBoundAt). */
export interface PartitionedTable {
  table: string;
  /** The partition column: the leading column of the primary key. */
  column: string;
  /** What the keys start with before the id's hex digits: `msg_`, or `eff_msg_` for effects. */
  idPrefix: string;
  /** Storage parameters of each new partition (a partitioned parent holds none of its own). */
  storage?: string;
  /**
   * The time column by which rows of its DEFAULT partition are deleted once past the group's
   * retention. Rows whose key fits no day (another producer's ids) never get a day of their own,
   * so without it they would stay for ever. Only where a row's age alone says it is no longer
   * needed: the inbox's receipt time; a message's rows are also held by its references.
   */
  defaultRowsExpireBy?: string;
}

/**
 * Something that can still need a message's rows after they are past retention. `sql` is a
 * query that answers a row when the partition's messages (ids in [b.lo, b.hi), made before
 * b.until) are still referenced; the partition is then kept and counted as blocked. `b.cutoff` is
 * now minus the group's retention: what happened before it is past retention.
 */
export interface LiveReference {
  name: string;
  sql: string;
}

/** Tables expired together, day by day, under one retention setting. */
export interface PartitionedGroup {
  name: string;
  /** The setting that bounds the group (the name shown in errors and docs). */
  retentionSetting: 'MESSAGE_RETENTION' | 'INBOX_RETENTION';
  tables: readonly PartitionedTable[];
  references: readonly LiveReference[];
  /** Drop nothing unless the live commands topic cannot outlive the retention (see commandsTopicProblem). */
  checkedAgainstCommandsTopic?: boolean;
}

/**
 * The message tables: one day of them is dropped together, never while anything below can still
 * refer to that day. To give a new table the same retention, append it here (its key must start
 * with the message id); to keep days alive for a new kind of reference (scheduled sends), append
 * to `references`.
 */
const pendingScheduledSend: LiveReference = {
  // A send still waiting for its time: the scheduler will release it and append to its stream.
  name: 'pending scheduled send',
  sql: `SELECT 1 FROM scheduled_sends WHERE message_id >= b.lo AND message_id < b.hi
          AND state = 'pending'`,
};

const unpublishedOutboxRow: LiveReference = {
  // A command not yet published: the dispatcher will still take it in and append to its stream.
  name: 'unpublished outbox row',
  sql: 'SELECT 1 FROM outbox WHERE published_at IS NULL AND created_at < b.until',
};

export const messageGroup: PartitionedGroup = {
  name: 'messages',
  retentionSetting: 'MESSAGE_RETENTION',
  tables: [
    { table: 'messages', column: 'id', idPrefix: 'msg_', storage: 'fillfactor = 70' },
    { table: 'message_events', column: 'stream_id', idPrefix: 'msg_' },
    { table: 'effects', column: 'id', idPrefix: 'eff_msg_', storage: 'fillfactor = 50' },
    { table: 'effect_attempts', column: 'effect_id', idPrefix: 'eff_msg_' },
    { table: 'log_provider_sends', column: 'provider_key', idPrefix: 'msg_' },
    { table: 'scheduled_sends', column: 'message_id', idPrefix: 'msg_' },
  ],
  references: [
    {
      // Pending, in flight or held for the operator: the effect still reads its message and
      // appends events to it. Served by the partial indexes on unfinished and held effects.
      name: 'unfinished effect',
      sql: `SELECT 1 FROM effects WHERE id >= 'eff_' || b.lo AND id < 'eff_' || b.hi
              AND state IN ('pending', 'in_flight', 'held')`,
    },
    pendingScheduledSend,
    unpublishedOutboxRow,
  ],
};

/**
 * The dispatcher's inbox, one row per command keyed by its message id, under INBOX_RETENTION. A
 * day is dropped only when the inbox can no longer be asked about any of its commands: each row
 * stays at least INBOX_RETENTION after it was received (what the replay horizon and the topic
 * check count on), and a command that has still to arrive keeps its day (else its row would land
 * in DEFAULT). The maintenance job also checks the live commands topic before dropping any day.
 */
export const inboxGroup: PartitionedGroup = {
  name: 'inbox',
  retentionSetting: 'INBOX_RETENTION',
  tables: [{ table: 'inbox', column: 'message_id', idPrefix: 'msg_', defaultRowsExpireBy: 'received_at' }],
  checkedAgainstCommandsTopic: true,
  references: [
    {
      // Received after its day (a scheduled send released later, a command published late): the
      // topic can redeliver it for its whole window from receipt. The BRIN index on received_at
      // reads only the block ranges written late.
      name: 'command received within the retention',
      sql: `SELECT 1 FROM inbox WHERE message_id >= b.lo AND message_id < b.hi AND received_at >= b.cutoff`,
    },
    pendingScheduledSend,
    unpublishedOutboxRow,
  ],
};

/** Every partitioned group the maintenance job keeps. */
export const partitionedGroups: readonly PartitionedGroup[] = [messageGroup, inboxGroup];
