import { Migration } from '@mikro-orm/migrations';

/**
 * The dispatcher's tables: the inbox that deduplicates commands, the consumer offsets stored
 * with the work they cover, the durable provider effects and their attempts, dead letters, and
 * the log provider's record of sends.
 */
export class Migration20261122000030Dispatcher extends Migration {
  override name = 'Migration20261122000030Dispatcher';

  override up(): void {
    // One row per command id ever handled. A second delivery finds its row and is dropped; the
    // fingerprint (SHA-256 of the canonical command data) tells a true duplicate from a conflict.
    this.addSql(`
      CREATE TABLE inbox (
        message_id  text PRIMARY KEY,
        fingerprint bytea NOT NULL,
        topic       text NOT NULL,
        partition   integer NOT NULL,
        "offset"    bigint NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Rows arrive in time order, so a BRIN index serves the retention clean-up at almost no
    // write cost on the hot insert path.
    this.addSql('CREATE INDEX inbox_received_at_idx ON inbox USING brin (received_at)');

    // The next offset to process per partition, written in the transaction that processed the
    // records before it (Kafka's recipe for exactly-once into an external store). The row lock
    // also fences two members that briefly believe they own the same partition.
    this.addSql(`
      CREATE TABLE consumer_offsets (
        group_id    text NOT NULL,
        topic       text NOT NULL,
        partition   integer NOT NULL,
        next_offset bigint NOT NULL CHECK (next_offset >= 0),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, topic, partition)
      )`);

    // One provider call to make per accepted command. Its id is derived from the message id, so
    // the primary key alone keeps it to one per message. `due_at` is when the executor should
    // look at the row next: the next attempt while pending, the lease's end while in flight (a
    // lease that ends without an outcome is a crashed attempt, resumed with the same key).
    this.addSql(`
      CREATE TABLE effects (
        id                 text PRIMARY KEY,
        message_id         text NOT NULL,
        account_id         text NOT NULL,
        channel            text NOT NULL,
        provider           text NOT NULL,
        idempotency_key    text NOT NULL,
        request            jsonb NOT NULL,
        state              text NOT NULL DEFAULT 'pending'
                           CHECK (state IN ('pending', 'in_flight', 'succeeded', 'failed')),
        attempt            integer NOT NULL DEFAULT 0,
        max_attempts       integer NOT NULL CHECK (max_attempts > 0),
        resumes            integer NOT NULL DEFAULT 0,
        due_at             timestamptz NOT NULL DEFAULT now(),
        claim_token        uuid,
        attempt_started_at timestamptz,
        last_error         text,
        created_at         timestamptz NOT NULL DEFAULT now(),
        finished_at        timestamptz
      )`);
    // Executors claim per provider (each process works the providers it is configured with).
    this.addSql(
      "CREATE INDEX effects_due_idx ON effects (provider, due_at) WHERE state IN ('pending', 'in_flight')",
    );

    // Each finished attempt with its outcome; `resumes` counts the crashed runs of the same
    // attempt that recovery called again with the same key.
    this.addSql(`
      CREATE TABLE effect_attempts (
        effect_id           text NOT NULL,
        attempt             integer NOT NULL,
        provider            text NOT NULL,
        outcome             text NOT NULL CHECK (outcome IN ('accepted', 'retryable', 'permanent')),
        replayed            boolean NOT NULL DEFAULT false,
        provider_message_id text,
        error               text,
        resumes             integer NOT NULL DEFAULT 0,
        started_at          timestamptz NOT NULL,
        finished_at         timestamptz NOT NULL,
        PRIMARY KEY (effect_id, attempt)
      )`);

    // Records set aside with their reason and everything needed to look at them or re-drive them.
    // One row per source record, so consuming the topic again adds no second dead letter.
    this.addSql(`
      CREATE TABLE dead_letters (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        code             text NOT NULL,
        reason           text NOT NULL,
        message_id       text,
        source_topic     text NOT NULL,
        source_partition integer NOT NULL,
        source_offset    bigint NOT NULL,
        kafka_key        text,
        headers          jsonb NOT NULL DEFAULT '{}',
        value            bytea,
        created_at       timestamptz NOT NULL DEFAULT now(),
        UNIQUE (source_topic, source_partition, source_offset)
      )`);
    this.addSql('CREATE INDEX dead_letters_message_id_idx ON dead_letters (message_id)');

    // The log provider's sends: the idempotency key is the primary key, so a repeated call with
    // the same key is a replay, never a second send.
    this.addSql(`
      CREATE TABLE log_provider_sends (
        idempotency_key text PRIMARY KEY,
        message_id      text NOT NULL,
        account_id      text NOT NULL,
        channel         text NOT NULL,
        recipient       text NOT NULL,
        attempt         integer NOT NULL,
        sent_at         timestamptz NOT NULL DEFAULT now()
      )`);
  }

  override down(): void {
    this.addSql('DROP TABLE log_provider_sends');
    this.addSql('DROP TABLE dead_letters');
    this.addSql('DROP TABLE effect_attempts');
    this.addSql('DROP TABLE effects');
    this.addSql('DROP TABLE consumer_offsets');
    this.addSql('DROP TABLE inbox');
  }
}
