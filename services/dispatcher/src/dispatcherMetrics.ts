import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Every metric the dispatcher serves on /metrics. */
export function createDispatcherMetrics(registry: Registry) {
  const registers = [registry];
  return {
    commandsProcessed: new Counter({
      name: 'dispatcher_commands_processed_total',
      help: 'New commands taken into the inbox: DispatchRequested appended and an effect queued',
      registers,
    }),
    duplicatesDropped: new Counter({
      name: 'dispatcher_duplicates_dropped_total',
      help: 'Records dropped as duplicates, by where they were caught (batch: twice in one batch; inbox: seen before)',
      labelNames: ['where'] as const,
      registers,
    }),
    recordsSkipped: new Counter({
      name: 'dispatcher_records_skipped_total',
      help: 'Records below the offset stored in PostgreSQL (already processed; re-read after a crash, rebalance or offset reset)',
      registers,
    }),
    deadLettered: new Counter({
      name: 'dispatcher_dead_lettered_total',
      help: 'Records set aside to the dead-letter topic, by code',
      labelNames: ['code'] as const,
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'dispatcher_batch_seconds',
      help: 'Time to process one partition batch in its PostgreSQL transaction',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    batchRecords: new Histogram({
      name: 'dispatcher_batch_records',
      help: 'Records per partition batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    }),
    batchRetries: new Counter({
      name: 'dispatcher_batch_retries_total',
      help: 'Partition batches tried again after a transient error',
      registers,
    }),
    consumerLag: new Gauge({
      name: 'dispatcher_consumer_lag',
      help: 'Records in a partition after the last one this process processed (high watermark - next offset)',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    effectOutcomes: new Counter({
      name: 'dispatcher_effect_outcomes_total',
      help: 'Provider call outcomes recorded: accepted, replayed (accepted as a replay), retry_scheduled, failed',
      labelNames: ['provider', 'outcome'] as const,
      registers,
    }),
    providerCallSeconds: new Histogram({
      name: 'dispatcher_provider_call_seconds',
      help: 'Duration of one provider call',
      labelNames: ['provider'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    effectLatencySeconds: new Histogram({
      name: 'dispatcher_effect_latency_seconds',
      help: 'From the effect being queued to its final outcome (sent or failed)',
      labelNames: ['provider'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    effectsInFlight: new Gauge({
      name: 'dispatcher_effects_in_flight',
      help: 'Provider calls claimed and not yet recorded by this process',
      registers,
    }),
    effectResumes: new Counter({
      name: 'dispatcher_effect_resumes_total',
      help: 'Ambiguous attempts (call under way when their process stopped) called again with the same provider key',
      labelNames: ['provider'] as const,
      registers,
    }),
    smtpPossibleRepeatSends: new Counter({
      name: 'dispatcher_smtp_possible_repeat_sends_total',
      help: 'SMTP sends that may repeat an earlier delivery (same Message-ID): attempts resumed after a crash, and sends that timed out (retried)',
      registers,
    }),
    callsFenced: new Counter({
      name: 'dispatcher_calls_fenced_total',
      help: 'Provider calls not started because their claim had lapsed or been taken over',
      labelNames: ['provider'] as const,
      registers,
    }),
    staleOutcomes: new Counter({
      name: 'dispatcher_stale_outcomes_total',
      help: 'Outcomes discarded because the attempt had been resumed elsewhere after its lease expired',
      registers,
    }),
  };
}

export type DispatcherMetrics = ReturnType<typeof createDispatcherMetrics>;
