import { Migration } from '@mikro-orm/migrations';

/**
 * The message tables become partitioned by the time inside their own keys, so retention drops
 * whole partitions instead of deleting rows, and their primary keys carry the account (the
 * distribution column a distributed PostgreSQL such as Citus would need).
 *
 * Why by key and not by `created_at`: a primary key of a partitioned table must include the
 * partition column, and a key extended by a timestamp stops refusing duplicates (the same event
 * version or provider key written at two instants would both be kept). Every key of these tables
 * starts with a UUIDv7 message id (`msg_<hex>`, or `eff_msg_<hex>` for effects), whose first 12 hex
 * digits are its creation time in milliseconds: a range of ids is a range of time, and a duplicate
 * key always falls into the same partition, where the partition's own unique index refuses it. So
 * every uniqueness the exactly-once design relies on holds unchanged.
 *
 * The existing table is not copied: it is attached, as it is, as the first partition (from
 * MINVALUE up to the start of tomorrow, UTC), after rows outside that range (ids that are not
 * time-ordered) are moved to the DEFAULT partition. The maintenance job creates the daily
 * partitions ahead and drops the old ones; the first one it can drop is this one, once its newest
 * possible row is past retention.
 */
export class Migration20261204005000TimePartitions extends Migration {
  override name = 'Migration20261204005000TimePartitions';

  override up(): void {
    this.addSql(partitionByIdFunction);
    // A foreign key to messages (id) cannot outlive messages' new key (id, account_id), and a
    // referenced partition could not be dropped: scheduled sends are partitioned by the same
    // message id below and expire with their message's day instead.
    this.addSql('ALTER TABLE scheduled_sends DROP CONSTRAINT scheduled_sends_message_id_fkey');
    this.addSql(
      "SELECT pg_temp.exactly_partition_by_id('messages', 'id', 'msg_', ARRAY['id', 'account_id'], 'fillfactor = 70')",
    );
    this.addSql(
      "SELECT pg_temp.exactly_partition_by_id('message_events', 'stream_id', 'msg_', ARRAY['stream_id', 'version'], NULL)",
    );
    // global_position was UNIQUE; a partitioned table cannot have a unique index without the
    // partition column. Its values come from one identity sequence, so they stay distinct; readers
    // only need it ordered and indexed.
    this.addSql('CREATE INDEX message_events_global_position_idx ON message_events (global_position)');
    this.addSql(
      "SELECT pg_temp.exactly_partition_by_id('effects', 'id', 'eff_msg_', ARRAY['id', 'account_id'], NULL)",
    );
    this.addSql(
      "SELECT pg_temp.exactly_partition_by_id('effect_attempts', 'effect_id', 'eff_msg_', ARRAY['effect_id', 'attempt'], NULL)",
    );
    this.addSql(
      "SELECT pg_temp.exactly_partition_by_id('log_provider_sends', 'provider_key', 'msg_', ARRAY['provider_key', 'account_id'], NULL)",
    );
    this.addSql(
      "SELECT pg_temp.exactly_partition_by_id('scheduled_sends', 'message_id', 'msg_', ARRAY['message_id', 'account_id'], NULL)",
    );
    // Account-keyed primary keys for the unpartitioned hot tables (see hotTableShardKeys in
    // @exactly/retention); the leading column is unchanged, so every lookup keeps its index.
    this.addSql('ALTER TABLE idempotency_records DROP CONSTRAINT idempotency_records_pkey');
    this.addSql('ALTER TABLE idempotency_records ADD PRIMARY KEY (scope_key, account_id)');
    this.addSql('ALTER TABLE outbox DROP CONSTRAINT outbox_pkey');
    this.addSql('ALTER TABLE outbox ADD PRIMARY KEY (id, shard)');
    // Dead letters and set-aside outbox rows expire by age in bounded deletes.
    this.addSql('CREATE INDEX dead_letters_created_at_idx ON dead_letters (created_at)');
    this.addSql('CREATE INDEX outbox_set_aside_set_aside_at_idx ON outbox_set_aside (set_aside_at)');
  }

  override down(): void {
    throw new Error('Migration20261204005000TimePartitions cannot be undone: restore from a backup');
  }
}

/**
 * Turns table `t` into a table partitioned by RANGE of `col`, keeping its rows, columns (with
 * identity and defaults), checks, foreign keys and indexes; `pk` is the new primary key.
 */
const partitionByIdFunction = `
CREATE FUNCTION pg_temp.exactly_partition_by_id(t text, col text, prefix text, pk text[], storage text)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  legacy text := t || '_legacy';
  bound text := prefix || lpad(to_hex((extract(epoch FROM date_trunc('day', now() AT TIME ZONE 'UTC')
                  + interval '1 day') * 1000)::bigint), 12, '0');
  index_defs text[];
  fk_defs text[];
  def text;
  r record;
BEGIN
  SELECT coalesce(array_agg(pg_get_indexdef(i.indexrelid)), '{}') INTO index_defs
    FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid
   WHERE i.indrelid = t::regclass AND c.oid IS NULL;
  SELECT coalesce(array_agg(pg_get_constraintdef(c.oid)), '{}') INTO fk_defs
    FROM pg_constraint c WHERE c.conrelid = t::regclass AND c.contype = 'f';
  -- Names must be free for the new parent; the old table keeps nothing the parent re-creates.
  FOR r IN SELECT c.conname FROM pg_constraint c
            WHERE c.conrelid = t::regclass AND c.contype IN ('p', 'u', 'f') LOOP
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', t, r.conname);
  END LOOP;
  FOR r IN SELECT i.indexrelid::regclass::text AS name FROM pg_index i WHERE i.indrelid = t::regclass LOOP
    EXECUTE format('DROP INDEX %s', r.name);
  END LOOP;
  FOR r IN SELECT a.attname FROM pg_attribute a
            WHERE a.attrelid = t::regclass AND a.attidentity <> '' AND NOT a.attisdropped LOOP
    -- A partition cannot carry an identity of its own: the parent's takes over from the same value.
    EXECUTE format('ALTER TABLE %I ALTER COLUMN %I DROP IDENTITY', t, r.attname);
  END LOOP;
  EXECUTE format('ALTER TABLE %I RENAME TO %I', t, legacy);
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED)
                  PARTITION BY RANGE (%I)', t, legacy, col);
  IF t = 'message_events' THEN
    ALTER TABLE message_events ALTER COLUMN global_position ADD GENERATED ALWAYS AS IDENTITY;
    EXECUTE format('ALTER TABLE message_events ALTER COLUMN global_position RESTART WITH %s',
      (SELECT coalesce(max(global_position), 0) + 1 FROM message_events_legacy));
  END IF;
  EXECUTE format('ALTER TABLE %I ADD PRIMARY KEY (%s)', t,
    (SELECT string_agg(quote_ident(c), ', ') FROM unnest(pk) AS c));
  FOREACH def IN ARRAY index_defs LOOP EXECUTE def; END LOOP;
  FOREACH def IN ARRAY fk_defs LOOP EXECUTE format('ALTER TABLE %I ADD %s', t, def); END LOOP;
  EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT %s', t || '_default', t,
    CASE WHEN storage IS NULL THEN '' ELSE 'WITH (' || storage || ')' END);
  EXECUTE format('INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM %I WHERE %I >= %L', t, legacy, col, bound);
  EXECUTE format('DELETE FROM %I WHERE %I >= %L', legacy, col, bound);
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (MINVALUE) TO (%L)', t, legacy, bound);
END
$fn$`;
