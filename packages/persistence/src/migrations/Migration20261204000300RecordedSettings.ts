import { Migration } from '@mikro-orm/migrations';

/**
 * Settings a database was used with, whose change would silently change the meaning of the data
 * already in it: the idempotency profile (how keys are scoped), recorded by the first ingest API
 * that starts and checked by every one after it.
 */
export class Migration20261204000300RecordedSettings extends Migration {
  override name = 'Migration20261204000300RecordedSettings';

  override up(): void {
    this.addSql(`CREATE TABLE recorded_settings (
      name text PRIMARY KEY,
      value text NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  override down(): void {
    this.addSql('DROP TABLE recorded_settings');
  }
}
