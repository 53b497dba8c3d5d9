import { Migration } from '@mikro-orm/migrations';

/**
 * One name per key. `idempotency_key` named three different values: the client's key keeps it
 * (idempotency_records); one message's key (the client's key, `<key>/<i>` for a batch item, or the
 * message id) becomes `message_key`; the key sent to the provider (the message id) becomes
 * `provider_key`. Renames change only the catalogue, so they take a brief lock and copy nothing.
 */
export class Migration20261204000400KeyNames extends Migration {
  override name = 'Migration20261204000400KeyNames';

  override up(): void {
    this.addSql('ALTER TABLE messages RENAME COLUMN idempotency_key TO message_key');
    this.addSql(
      'ALTER INDEX messages_account_idempotency_key_idx RENAME TO messages_account_message_key_idx',
    );
    this.addSql('ALTER TABLE effects RENAME COLUMN idempotency_key TO provider_key');
    this.addSql('ALTER TABLE log_provider_sends RENAME COLUMN idempotency_key TO provider_key');
  }

  override down(): void {
    this.addSql('ALTER TABLE log_provider_sends RENAME COLUMN provider_key TO idempotency_key');
    this.addSql('ALTER TABLE effects RENAME COLUMN provider_key TO idempotency_key');
    this.addSql(
      'ALTER INDEX messages_account_message_key_idx RENAME TO messages_account_idempotency_key_idx',
    );
    this.addSql('ALTER TABLE messages RENAME COLUMN message_key TO idempotency_key');
  }
}
