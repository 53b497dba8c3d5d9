import type { IdempotencyOutcome } from '@exactly/idempotency';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface IngestMetrics {
  countOutcome(outcome: IdempotencyOutcome, route: string): void;
  observeBatch(size: number, seconds: number): void;
  countExpiredDeleted(count: number): void;
  /** A create request refused by the admission limit. */
  countShed(): void;
  /** A request refused with 429 by its tenant's rate limit or concurrency quota. */
  countLimited(reason: 'rate' | 'concurrency' | 'body_bytes'): void;
  /** Reports the body bytes that requests in flight hold (the body budget) at every scrape. */
  watchBodyBytes(read: () => number): void;
  /** Reports the replay cache's entries and bytes at every scrape. */
  watchReplayCache(read: () => { entries: number; bytes: number }): void;
  /** Counts every request by route and status, with its latency. */
  instrument(app: FastifyInstance): void;
}

/** The ingest API's Prometheus series (on the service's registry, served at /metrics). */
export function createIngestMetrics(registry: Registry): IngestMetrics {
  const requests = new Counter({
    name: 'exactly_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'exactly_http_request_duration_seconds',
    help: 'HTTP request latency by method and route template',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const outcomes = {
    executed: new Counter({
      name: 'exactly_idempotency_executions_total',
      help: 'Idempotent requests that executed (first time for their key, or without a key)',
      labelNames: ['route'],
      registers: [registry],
    }),
    replayed: new Counter({
      name: 'exactly_idempotency_replays_total',
      help: 'Requests answered with the stored reply of their key',
      labelNames: ['route'],
      registers: [registry],
    }),
    mismatch: new Counter({
      name: 'exactly_idempotency_mismatches_total',
      help: 'Requests refused because their key was used with another request',
      labelNames: ['route'],
      registers: [registry],
    }),
    in_flight: new Counter({
      name: 'exactly_idempotency_in_flight_conflicts_total',
      help: 'Requests refused (409) because the first request with their key was still in flight',
      labelNames: ['route'],
      registers: [registry],
    }),
  };
  const batchSize = new Histogram({
    name: 'exactly_ingest_write_batch_size',
    help: 'Requests written per transaction (group commit)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000],
    registers: [registry],
  });
  const batchDuration = new Histogram({
    name: 'exactly_ingest_write_batch_duration_seconds',
    help: 'Duration of one write transaction, from its first statement to its commit',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  const expiredDeleted = new Counter({
    name: 'exactly_idempotency_expired_records_deleted_total',
    help: 'Expired idempotency records deleted by the cleanup job',
    registers: [registry],
  });
  const shed = new Counter({
    name: 'exactly_ingest_shed_total',
    help: 'Create requests refused with 503 overloaded by the admission limit (nothing stored)',
    registers: [registry],
  });
  const limited = new Counter({
    name: 'exactly_ingest_rate_limited_total',
    help: "Requests refused with 429 by their account's or API key's rate limit, concurrency quota or body bytes in flight",
    labelNames: ['reason'],
    registers: [registry],
  });
  return {
    countShed() {
      shed.inc();
    },
    countLimited(reason) {
      limited.inc({ reason });
    },
    watchBodyBytes(read) {
      new Gauge({
        name: 'exactly_ingest_body_bytes_in_flight',
        help: 'Body bytes reserved by the requests in flight, as announced (bounded by BODY_BYTES_IN_FLIGHT)',
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    },
    watchReplayCache(read) {
      new Gauge({
        name: 'exactly_idempotency_replay_cache_bytes',
        help: 'Upper bound of the bytes the replay cache holds (bounded by IDEMPOTENCY_REPLAY_CACHE_BYTES)',
        registers: [registry],
        collect() {
          this.set(read().bytes);
        },
      });
      new Gauge({
        name: 'exactly_idempotency_replay_cache_entries',
        help: 'Records the replay cache holds (bounded by IDEMPOTENCY_REPLAY_CACHE)',
        registers: [registry],
        collect() {
          this.set(read().entries);
        },
      });
    },
    countOutcome(outcome, route) {
      outcomes[outcome.kind].inc({ route });
    },
    observeBatch(size, seconds) {
      batchSize.observe(size);
      batchDuration.observe(seconds);
    },
    countExpiredDeleted(count) {
      if (count > 0) expiredDeleted.inc(count);
    },
    instrument(app) {
      app.addHook('onResponse', async (request, reply) => {
        const route = request.routeOptions.url ?? 'unmatched';
        const seconds = reply.elapsedTime / 1000;
        requests.inc({ method: request.method, route, status: String(reply.statusCode) });
        latency.observe({ method: request.method, route }, seconds);
        request.log.info(
          {
            method: request.method,
            url: request.url,
            status: reply.statusCode,
            ms: Math.round(reply.elapsedTime),
          },
          'request completed',
        );
      });
    },
  };
}
