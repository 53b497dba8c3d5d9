import { Migration } from '@mikro-orm/migrations';

/**
 * The tables every service shares: each message's event stream (the event store), the
 * message projection read by the API, and the transactional outbox the relay drains.
 */
export class Migration20261122000002MessagesAndOutbox extends Migration {
  override name = 'Migration20261122000002MessagesAndOutbox';

  override up(): void {
    // The event store: one stream per message, versions 1, 2, 3... with no gaps; the primary key
    // is the optimistic-concurrency check (two writers of one version: one fails).
    this.addSql(`
      CREATE TABLE message_events (
        stream_id       text NOT NULL,
        version         integer NOT NULL CHECK (version > 0),
        global_position bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        type            text NOT NULL,
        data            jsonb NOT NULL,
        metadata        jsonb NOT NULL DEFAULT '{}',
        created_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (stream_id, version)
      )`);
    // The projection of each stream: rebuildable from message_events, and then equal to this.
    this.addSql(`
      CREATE TABLE messages (
        id              text PRIMARY KEY,
        account_id      text NOT NULL REFERENCES accounts (id),
        idempotency_key text NOT NULL,
        batch_id        text,
        channel         text NOT NULL,
        recipient       text NOT NULL,
        sender          text NOT NULL,
        content         jsonb NOT NULL,
        status          text NOT NULL,
        version         integer NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
    // Message ids are time-ordered (UUIDv7), so id order is creation order for cursor pagination.
    this.addSql('CREATE INDEX messages_account_id_idx ON messages (account_id, id DESC)');
    this.addSql('CREATE INDEX messages_account_status_id_idx ON messages (account_id, status, id DESC)');
    this.addSql(
      'CREATE INDEX messages_account_idempotency_key_idx ON messages (account_id, idempotency_key)',
    );
    // The outbox: written in the same transaction as the state it announces, published by the
    // relay. The shard (a stable hash of the Kafka key) lets relays split the work while keeping
    // one publisher per key, so records of one key reach Kafka in commit order.
    this.addSql(`
      CREATE TABLE outbox (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        topic        text NOT NULL,
        kafka_key    text NOT NULL,
        payload      jsonb NOT NULL,
        headers      jsonb NOT NULL DEFAULT '{}',
        shard        smallint GENERATED ALWAYS AS ((hashtext(kafka_key) & 2147483647) % 32) STORED,
        created_at   timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    this.addSql('CREATE INDEX outbox_unpublished_idx ON outbox (shard, id) WHERE published_at IS NULL');
  }

  override down(): void {
    this.addSql('DROP TABLE outbox');
    this.addSql('DROP TABLE messages');
    this.addSql('DROP TABLE message_events');
  }
}
