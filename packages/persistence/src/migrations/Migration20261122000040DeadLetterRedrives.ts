import { Migration } from '@mikro-orm/migrations';

/**
 * The operator's redrives of dead letters: one row per dead letter ever re-published. The
 * primary key is what makes a redrive idempotent: the transaction that inserts the row also
 * queues the record in the outbox, so running the same redrive twice queues nothing the second
 * time.
 */
export class Migration20261122000040DeadLetterRedrives extends Migration {
  override name = 'Migration20261122000040DeadLetterRedrives';

  override up(): void {
    this.addSql(`
      CREATE TABLE dead_letter_redrives (
        dead_letter_id bigint PRIMARY KEY REFERENCES dead_letters (id) ON DELETE CASCADE,
        topic          text NOT NULL,
        redriven_at    timestamptz NOT NULL DEFAULT now()
      )`);
  }

  override down(): void {
    this.addSql('DROP TABLE dead_letter_redrives');
  }
}
