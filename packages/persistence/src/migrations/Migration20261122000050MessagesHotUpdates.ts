import { Migration } from '@mikro-orm/migrations';

/**
 * Lets the projection's status updates be HOT (heap-only: no index entries written). The
 * dispatcher updates each message's row twice (dispatching, then the outcome); while `status`
 * was in an index, every update wrote a new entry in all four indexes of `messages`. Measured on
 * 40,000 rows updated twice in statements of 1,000: 2.7 s and 733 bytes of WAL per update with
 * the index, 0.7 s and 164 bytes without it and with room on each page (fillfactor 70; 80 left
 * too little for two new versions of these ~700-byte rows).
 *
 * The price: `GET /v1/messages?status=...` walks the account's messages newest first on
 * `messages_account_id_idx` and filters the status, so a rare status in a large account reads
 * more rows than the page it returns.
 */
export class Migration20261122000050MessagesHotUpdates extends Migration {
  override name = 'Migration20261122000050MessagesHotUpdates';

  override up(): void {
    this.addSql('DROP INDEX messages_account_status_id_idx');
    // New pages only; existing ones keep what they hold until rewritten.
    this.addSql('ALTER TABLE messages SET (fillfactor = 70)');
  }

  override down(): void {
    this.addSql('ALTER TABLE messages RESET (fillfactor)');
    this.addSql('CREATE INDEX messages_account_status_id_idx ON messages (account_id, status, id DESC)');
  }
}
