import { Migration } from '@mikro-orm/migrations';

/**
 * What the relay needs beside the outbox: the shard leases that give each outbox shard one
 * publisher at a time, the relays' heartbeats (to share the shards fairly), the journal of
 * claimed batches (to count re-publishes after a crash) and the rows set aside as unpublishable.
 */
export class Migration20261122000020Relay extends Migration {
  override name = 'Migration20261122000020Relay';

  override up(): void {
    // Cleanup deletes published rows by age.
    this.addSql(
      'CREATE INDEX outbox_published_at_idx ON outbox (published_at) WHERE published_at IS NOT NULL',
    );
    // One row per outbox shard (the generated `shard` column: 0..31). A relay publishes a shard
    // only while it holds its lease; `epoch` grows on every change of holder.
    this.addSql(`
      CREATE TABLE outbox_shard_leases (
        shard       smallint PRIMARY KEY CHECK (shard BETWEEN 0 AND 31),
        relay_id    text,
        lease_until timestamptz NOT NULL DEFAULT '-infinity',
        epoch       bigint NOT NULL DEFAULT 0
      )`);
    this.addSql('INSERT INTO outbox_shard_leases (shard) SELECT generate_series(0, 31)');
    // Live relays: each one's fair share of shards is ceil(32 / live relays).
    this.addSql(`
      CREATE TABLE outbox_relays (
        relay_id    text PRIMARY KEY,
        started_at  timestamptz NOT NULL DEFAULT now(),
        alive_until timestamptz NOT NULL
      )`);
    // The batches a relay claimed and has not finished (one row per batch), written by the claim's
    // statement before anything is sent. What a crashed relay leaves here is what it may have
    // published without marking: the next holder of those rows' shards counts them as
    // re-publishes. One small row per batch instead of an update of every claimed outbox row.
    this.addSql(`
      CREATE TABLE outbox_claims (
        relay_id   text NOT NULL,
        batch_no   bigint NOT NULL,
        ids        bigint[] NOT NULL,
        claimed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (relay_id, batch_no)
      )`);
    // Rows the relay cannot publish (invalid headers, too large for the topic, unknown topic),
    // moved here with the reason so they never block the rows behind them.
    this.addSql(`
      CREATE TABLE outbox_set_aside (
        id               bigint PRIMARY KEY,
        topic            text NOT NULL,
        kafka_key        text NOT NULL,
        payload          jsonb NOT NULL,
        headers          jsonb NOT NULL,
        created_at       timestamptz NOT NULL,
        reason           text NOT NULL,
        set_aside_at     timestamptz NOT NULL DEFAULT now()
      )`);
  }

  override down(): void {
    this.addSql('DROP TABLE outbox_set_aside');
    this.addSql('DROP TABLE outbox_claims');
    this.addSql('DROP TABLE outbox_relays');
    this.addSql('DROP TABLE outbox_shard_leases');
    this.addSql('DROP INDEX outbox_published_at_idx');
  }
}
