import type { OutboxBacklog } from '@exactly/outbox';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type RelayMetrics = ReturnType<typeof createRelayMetrics>;

/**
 * The relay's metrics. The outbox gauges (backlog, oldest unpublished age, rows set aside) are
 * read from the database at scrape time, once per scrape, and are the whole outbox's: every
 * relay reports the same value.
 */
export function createRelayMetrics(registry: Registry, readStats: () => Promise<OutboxBacklog>) {
  // One query per scrape; when the database does not answer, the gauges keep their last value.
  let scrape: { at: number; stats: Promise<OutboxBacklog | undefined> } | undefined;
  const stats = () => {
    if (!scrape || Date.now() - scrape.at > 500) {
      scrape = { at: Date.now(), stats: readStats().catch(() => undefined) };
    }
    return scrape.stats;
  };
  const registers = [registry];
  return {
    published: new Counter({
      name: 'relay_published_rows_total',
      help: 'Outbox rows acknowledged by Kafka (rate() of it is the publish rate)',
      labelNames: ['topic'],
      registers,
    }),
    republished: new Counter({
      name: 'relay_republished_rows_total',
      help: 'Rows published again after an attempt that may have reached Kafka: earlier_attempt (claimed before by a relay that did not mark it: crash, kill, lost lease) or send_retry (sent again after a failed send)',
      labelNames: ['reason'],
      registers,
    }),
    errors: new Counter({
      name: 'relay_errors_total',
      help: 'Errors by kind: kafka (a send or connection failed), database, listen (the LISTEN connection), leases, topics, cleanup',
      labelNames: ['kind'],
      registers,
    }),
    producersRetired: new Counter({
      name: 'relay_producers_retired_total',
      help: 'Idempotent producers replaced by a new producer id after a send: failed_send (the send failed) or retried_send (kafkajs retried it internally); either can leave its sequence numbers behind the broker',
      labelNames: ['reason'],
      registers,
    }),
    setAsideTotal: new Counter({
      name: 'relay_set_aside_rows_total',
      help: 'Rows this relay set aside as unpublishable, by reason',
      labelNames: ['reason'],
      registers,
    }),
    messagesFailed: new Counter({
      name: 'relay_messages_failed_total',
      help: 'Messages ended with MessageFailed because their command was set aside as unpublishable, by reason',
      labelNames: ['reason'],
      registers,
    }),
    deleted: new Counter({
      name: 'relay_cleaned_up_rows_total',
      help: 'Published rows deleted after the retention',
      registers,
    }),
    publishLatency: new Histogram({
      name: 'relay_publish_latency_seconds',
      help: "From the row's insert (created_at) to Kafka's acknowledgement",
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    batchSize: new Histogram({
      name: 'relay_claimed_batch_rows',
      help: 'Rows per claimed batch',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
      registers,
    }),
    leasedShards: new Gauge({
      name: 'relay_leased_shards',
      help: 'Outbox shards this relay holds the lease of',
      registers,
    }),
    backlog: new Gauge({
      name: 'relay_outbox_backlog_rows',
      help: 'Unpublished outbox rows (the whole outbox)',
      registers,
      async collect() {
        const current = await stats();
        if (current) this.set(current.backlog);
      },
    }),
    oldestAge: new Gauge({
      name: 'relay_outbox_oldest_unpublished_age_seconds',
      help: 'Age of the oldest unpublished outbox row (0 when none)',
      registers,
      async collect() {
        const current = await stats();
        if (current) this.set(current.oldestUnpublishedAgeSeconds);
      },
    }),
    setAsideRows: new Gauge({
      name: 'relay_outbox_set_aside_rows',
      help: 'Rows in outbox_set_aside, waiting for an operator',
      registers,
      async collect() {
        const current = await stats();
        if (current) this.set(current.setAside);
      },
    }),
  };
}
