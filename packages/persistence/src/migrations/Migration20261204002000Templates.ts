import { Migration } from '@mikro-orm/migrations';

/**
 * Message templates (owned by @exactly/template-store). A template belongs to one account and has
 * one channel; its content lives in numbered, immutable versions, so a send that named version 2
 * means version 2 forever. `latest_version` is the newest version's number.
 */
export class Migration20261204002000Templates extends Migration {
  override name = 'Migration20261204002000Templates';

  override up(): void {
    this.addSql(`CREATE TABLE templates (
      id text PRIMARY KEY,
      account_id text NOT NULL REFERENCES accounts (id),
      name text NOT NULL,
      channel text NOT NULL CHECK (channel IN ('email', 'sms', 'voice')),
      latest_version integer NOT NULL CHECK (latest_version >= 1),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    // The list reads an account's templates newest first, by id (UUIDv7: time-ordered).
    this.addSql('CREATE INDEX templates_account_id_idx ON templates (account_id, id DESC)');
    this.addSql(`CREATE TABLE template_versions (
      template_id text NOT NULL REFERENCES templates (id),
      version integer NOT NULL CHECK (version >= 1),
      subject text,
      text text,
      html text,
      variables jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (template_id, version)
    )`);
  }

  override down(): void {
    this.addSql('DROP TABLE template_versions');
    this.addSql('DROP TABLE templates');
  }
}
