import { Migration } from '@mikro-orm/migrations';

/**
 * Webhook endpoints, their deliveries and their events. A delivery is unique per (endpoint,
 * stream, version): the webhook consumer's insert ON CONFLICT DO NOTHING is its inbox, so a
 * redelivered or replayed event record never queues a second delivery. `id` is the delivery's
 * `webhook-id`, kept across retries and replays.
 */
export class Migration20261204004000Webhooks extends Migration {
  override name = 'Migration20261204004000Webhooks';

  override up(): void {
    this.addSql(`
      CREATE TABLE webhook_endpoints (
        id                   text PRIMARY KEY,
        account_id           text NOT NULL REFERENCES accounts (id),
        url                  text NOT NULL,
        description          text,
        event_types          text[],
        secret               text NOT NULL,
        previous_secret      text,
        previous_secret_until timestamptz,
        disabled_at          timestamptz,
        disabled_reason      text,
        last_success_at      timestamptz,
        last_failure_at      timestamptz,
        last_error           text,
        failing_streak       integer NOT NULL DEFAULT 0,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql('CREATE INDEX webhook_endpoints_account_idx ON webhook_endpoints (account_id, id)');
    this.addSql(`
      CREATE TABLE webhook_deliveries (
        id               text PRIMARY KEY,
        endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        stream_id        text NOT NULL,
        version          integer NOT NULL,
        event_type       text NOT NULL,
        payload          text NOT NULL,
        occurred_at      timestamptz NOT NULL,
        state            text NOT NULL DEFAULT 'pending'
                           CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts         integer NOT NULL DEFAULT 0,
        retry_from       timestamptz NOT NULL DEFAULT now(),
        next_attempt_at  timestamptz NOT NULL DEFAULT now(),
        lease_until      timestamptz,
        last_status      integer,
        last_error       text,
        delivered_at     timestamptz,
        created_at       timestamptz NOT NULL DEFAULT now(),
        UNIQUE (endpoint_id, stream_id, version)
      )`);
    this.addSql(`CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
                   WHERE state = 'pending'`);
    this.addSql(
      'CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, occurred_at)',
    );
    this.addSql(`
      CREATE TABLE webhook_endpoint_events (
        id           bigserial PRIMARY KEY,
        endpoint_id  text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        type         text NOT NULL,
        data         jsonb NOT NULL,
        at           timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql(
      'CREATE INDEX webhook_endpoint_events_endpoint_idx ON webhook_endpoint_events (endpoint_id, id)',
    );
  }

  override down(): void {
    this.addSql('DROP TABLE webhook_endpoint_events');
    this.addSql('DROP TABLE webhook_deliveries');
    this.addSql('DROP TABLE webhook_endpoints');
  }
}
