/**
 * The hot tables and the column a distributed PostgreSQL (Citus) would distribute each by: it
 * must be in the table's primary key (checked against the migrated schema by a test). The account
 * where the table has it; the relay's outbox by its shard (the relay claims per shard, never per
 * account). Tables keyed by one message without an account column are keyed by the message id;
 * co-locating them with `messages` needs an account column they do not carry yet (see
 * docs/retention.md).
 */
export const hotTableShardKeys: Readonly<Record<string, string>> = {
  messages: 'account_id',
  effects: 'account_id',
  log_provider_sends: 'account_id',
  idempotency_records: 'account_id',
  outbox: 'shard',
  message_events: 'stream_id',
  effect_attempts: 'effect_id',
  // Also its partition column (inboxGroup): a second delivery meets the first in its day.
  inbox: 'message_id',
};
