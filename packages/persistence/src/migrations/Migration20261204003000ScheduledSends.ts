import { Migration } from '@mikro-orm/migrations';

/**
 * The durable schedule of sends asked for later (`send_at`). A row is written in the accepting
 * transaction and stays `pending` until a dispatcher's scheduler claims it when due (`FOR UPDATE
 * SKIP LOCKED`), queues its command in the outbox and marks it `released`, in one transaction; or
 * until the client cancels it. `version` counts the changes, so a client's change and a release
 * never both win. No timer in any process is the source of truth: this table is.
 */
export class Migration20261204003000ScheduledSends extends Migration {
  override name = 'Migration20261204003000ScheduledSends';

  override up(): void {
    this.addSql(`
      CREATE TABLE scheduled_sends (
        message_id  text PRIMARY KEY REFERENCES messages (id),
        account_id  text NOT NULL,
        due_at      timestamptz NOT NULL,
        state       text NOT NULL CHECK (state IN ('pending', 'released', 'cancelled')),
        version     integer NOT NULL DEFAULT 1,
        request_id  text NOT NULL,
        traceparent text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        released_at timestamptz
      )`);
    // The scheduler's scan: only pending rows, oldest due first.
    this.addSql("CREATE INDEX scheduled_sends_due_idx ON scheduled_sends (due_at) WHERE state = 'pending'");
    this.addSql('CREATE INDEX scheduled_sends_account_state_idx ON scheduled_sends (account_id, state)');
  }

  override down(): void {
    this.addSql('DROP TABLE scheduled_sends');
  }
}
