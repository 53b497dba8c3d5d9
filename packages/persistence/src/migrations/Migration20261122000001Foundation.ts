import { Migration } from '@mikro-orm/migrations';

/** Accounts and their API keys: what every later table hangs off. */
export class Migration20261122000001Foundation extends Migration {
  override name = 'Migration20261122000001Foundation';

  override up(): void {
    this.addSql(`
      CREATE TABLE accounts (
        id         text PRIMARY KEY,
        name       text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql(`
      CREATE TABLE api_keys (
        id             text PRIMARY KEY,
        account_id     text NOT NULL REFERENCES accounts (id),
        secret_hash    bytea NOT NULL UNIQUE,
        display_prefix text NOT NULL,
        created_at     timestamptz NOT NULL DEFAULT now(),
        revoked_at     timestamptz
      )`);
    this.addSql('CREATE INDEX api_keys_account_id_idx ON api_keys (account_id)');
  }

  override down(): void {
    this.addSql('DROP TABLE api_keys');
    this.addSql('DROP TABLE accounts');
  }
}
