import { Migration } from '@mikro-orm/migrations';

/**
 * The ingest API's idempotency records: one row per scoped key that executed, holding the reply
 * to replay. Written in the same transaction as the messages it accepted, so a record exists
 * exactly when its messages do. A logged table: a record lost in a crash would let a retry send
 * twice.
 */
export class Migration20261122000010Ingest extends Migration {
  override name = 'Migration20261122000010Ingest';

  override up(): void {
    // scope_key = owner (account or API key id) + endpoint (when the profile scopes by endpoint)
    // + the client's key; it is the identity of the key, so it is the primary key.
    this.addSql(`
      CREATE TABLE idempotency_records (
        scope_key        text PRIMARY KEY,
        account_id       text NOT NULL REFERENCES accounts (id),
        api_key_id       text NOT NULL,
        idempotency_key  text NOT NULL,
        method           text NOT NULL,
        route            text NOT NULL,
        fingerprint      bytea NOT NULL,
        response_status  smallint NOT NULL,
        response_headers jsonb NOT NULL,
        response_body    text NOT NULL,
        resource_ids     text[] NOT NULL,
        request_id       text NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now(),
        expires_at       timestamptz NOT NULL
      )`);
    // The cleanup job walks expired records oldest first, in bounded batches.
    this.addSql('CREATE INDEX idempotency_records_expires_at_idx ON idempotency_records (expires_at)');
  }

  override down(): void {
    this.addSql('DROP TABLE idempotency_records');
  }
}
