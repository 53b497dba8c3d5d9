import { Migration } from '@mikro-orm/migrations';

/**
 * Webhook deliveries and endpoint events are expired by age in bounded deletes (the maintenance
 * job's `boundedTables`): the indexes those deletes walk, oldest first. And each delivery keeps the
 * `traceparent` its event carried, so its attempts join the command's trace.
 */
export class Migration20261204006000WebhookRetention extends Migration {
  override name = 'Migration20261204006000WebhookRetention';

  override up(): void {
    this.addSql(
      "CREATE INDEX webhook_deliveries_finished_created_idx ON webhook_deliveries (created_at) WHERE state <> 'pending'",
    );
    this.addSql('CREATE INDEX webhook_endpoint_events_at_idx ON webhook_endpoint_events (at)');
    this.addSql('ALTER TABLE webhook_deliveries ADD COLUMN traceparent text');
  }

  override down(): void {
    this.addSql('ALTER TABLE webhook_deliveries DROP COLUMN traceparent');
    this.addSql('DROP INDEX webhook_endpoint_events_at_idx');
    this.addSql('DROP INDEX webhook_deliveries_finished_created_idx');
  }
}
