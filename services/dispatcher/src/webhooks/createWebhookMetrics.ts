import type { Logger } from '@exactly/observability';
import type { Orm } from '@exactly/persistence';
import { countRetryingWebhookDeliveries, type DeliveryOutcome } from '@exactly/webhooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The backlog gauge counts this many retrying deliveries at most (one bounded index range per scrape). */
export const retryBacklogLimit = 10_000;

const outcomeLabel = { delivered: 'delivered', retry: 'retried', give_up: 'failed' } as const;

export interface WebhookMetrics {
  /** One attempt's outcome and how long its POST took. */
  observeAttempt(outcome: DeliveryOutcome, seconds: number): void;
}

/** The webhook deliveries' metrics on the dispatcher's /metrics. */
export function createWebhookMetrics(registry: Registry, deps: { orm: Orm; logger: Logger }): WebhookMetrics {
  const registers = [registry];
  const attempts = new Counter({
    name: 'dispatcher_webhook_attempts_total',
    help: 'Webhook delivery attempts, by outcome: delivered (2xx), retried (failed, tried again later), failed (retry period over)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const attemptSeconds = new Histogram({
    name: 'dispatcher_webhook_attempt_seconds',
    help: 'Duration of one webhook delivery attempt (the POST to the receiver), by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  new Gauge({
    name: 'dispatcher_webhook_retry_backlog',
    help: `Webhook deliveries waiting for a retry (counted up to ${retryBacklogLimit})`,
    registers,
    async collect() {
      try {
        this.set(await countRetryingWebhookDeliveries(deps.orm.em.fork(), retryBacklogLimit));
      } catch (error) {
        // The scrape keeps the last value rather than failing as a whole.
        deps.logger.warn({ err: error }, 'counting the webhook retry backlog failed');
      }
    },
  });
  return {
    observeAttempt(outcome, seconds) {
      const label = outcomeLabel[outcome.kind];
      attempts.inc({ outcome: label });
      attemptSeconds.observe({ outcome: label }, seconds);
    },
  };
}
