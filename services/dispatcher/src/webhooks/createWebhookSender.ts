import { backoffDelay } from '@exactly/errors';
import { inSpan, type Logger, SpanKind, traceparentOf, tracingEnabled } from '@exactly/observability';
import type { Orm } from '@exactly/persistence';
import {
  type ClaimedDelivery,
  claimWebhookDeliveries,
  type DeliveryOutcome,
  recordWebhookDeliveryOutcome,
  signWebhook,
} from '@exactly/webhooks';
import { delay } from '../delay.js';
import type { WebhookMetrics } from './createWebhookMetrics.js';
import { postWebhook } from './postWebhook.js';

export interface WebhookSenderOptions {
  orm: Orm;
  logger: Logger;
  claimBatch: number;
  leaseMs: number;
  pollIntervalMs: number;
  timeoutMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** How long a delivery is retried from its first attempt (or its replay) before it fails. */
  retryPeriodMs: number;
  allowPrivateAddresses: boolean;
  metrics?: WebhookMetrics;
}

export interface WebhookSender {
  start(): void;
  wake(): void;
  stop(): Promise<void>;
}

/** What an attempt's answer means: 2xx delivered; else another try, unless the retry period is over. */
export function outcomeOf(
  result: { status: number } | { error: string },
  delivery: ClaimedDelivery,
  options: Pick<WebhookSenderOptions, 'retryBaseDelayMs' | 'retryMaxDelayMs' | 'retryPeriodMs'>,
  now: Date,
): DeliveryOutcome {
  if ('status' in result && result.status >= 200 && result.status < 300) {
    return { kind: 'delivered', status: result.status };
  }
  const failure =
    'status' in result ? { status: result.status, error: `HTTP ${result.status}` } : { error: result.error };
  const retryInMs = backoffDelay(delivery.attempt - 1, {
    initialDelayMs: options.retryBaseDelayMs,
    maxDelayMs: options.retryMaxDelayMs,
    jitter: 'equal',
  });
  const over = now.getTime() + retryInMs > delivery.retryFrom.getTime() + options.retryPeriodMs;
  return over ? { kind: 'give_up', ...failure } : { kind: 'retry', ...failure, retryInMs };
}

/**
 * Works the due deliveries off the consumer's path: claims a batch under a lease, signs each with
 * its stable webhook-id, POSTs it and records the outcome and the endpoint's health.
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const { orm, logger } = options;
  const stopping = new AbortController();
  let wakeUp: (() => void) | undefined;
  let loop: Promise<void> | undefined;

  async function deliver(delivery: ClaimedDelivery): Promise<void> {
    const at = new Date();
    const headers = signWebhook(delivery.id, at, delivery.payload, delivery.secrets);
    // One span per attempt, a child of the span that wrote the event: the command's trace.
    const outcome = await inSpan(
      'webhook delivery',
      {
        kind: SpanKind.CLIENT,
        parent: delivery.traceparent,
        attributes: { 'exactly.webhook.id': delivery.id, 'exactly.webhook.attempt': delivery.attempt },
      },
      async (span) => {
        const traced = tracingEnabled() ? traceparentOf(span) : undefined;
        const started = performance.now();
        const result = await postWebhook(
          delivery.url,
          delivery.payload,
          traced === undefined ? headers : { ...headers, traceparent: traced },
          { allowPrivateAddresses: options.allowPrivateAddresses, timeoutMs: options.timeoutMs },
        );
        const decided = outcomeOf(result, delivery, options, new Date());
        options.metrics?.observeAttempt(decided, (performance.now() - started) / 1_000);
        span.setAttribute('exactly.webhook.outcome', decided.kind);
        return decided;
      },
    );
    if (outcome.kind !== 'delivered') {
      logger.info(
        { delivery: delivery.id, endpoint: delivery.endpointId, outcome },
        'webhook attempt failed',
      );
    }
    await recordWebhookDeliveryOutcome(orm, delivery, outcome);
  }

  async function run(): Promise<void> {
    while (!stopping.signal.aborted) {
      let claimed: ClaimedDelivery[] = [];
      try {
        claimed = await claimWebhookDeliveries(orm.em.fork(), options.claimBatch, options.leaseMs);
        await Promise.all(
          claimed.map((delivery) =>
            deliver(delivery).catch((error: unknown) =>
              logger.warn(
                { err: error, delivery: delivery.id },
                'recording a webhook attempt failed; its lease will end',
              ),
            ),
          ),
        );
      } catch (error) {
        logger.warn({ err: error }, 'claiming webhook deliveries failed; trying again');
      }
      if (claimed.length === options.claimBatch) continue;
      await new Promise<void>((resolve) => {
        wakeUp = resolve;
        void delay(options.pollIntervalMs, stopping.signal).then(resolve);
      });
      wakeUp = undefined;
    }
  }

  return {
    start() {
      loop ??= run();
    },
    wake() {
      wakeUp?.();
    },
    async stop() {
      stopping.abort();
      wakeUp?.();
      await loop;
    },
  };
}
