import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What the maintenance job serves on /metrics. */
export function createMaintenanceMetrics(registry: Registry) {
  const registers = [registry];
  return {
    runs: new Counter({
      name: 'maintenance_runs_total',
      help: 'Maintenance runs, by outcome (done; busy: another instance held the lock; failed)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    runSeconds: new Histogram({
      name: 'maintenance_run_seconds',
      help: 'Time of one maintenance run',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    partitionsCreated: new Counter({
      name: 'maintenance_partitions_created_total',
      help: 'Daily partitions created ahead, by table',
      labelNames: ['table'] as const,
      registers,
    }),
    partitionsDropped: new Counter({
      name: 'maintenance_partitions_dropped_total',
      help: 'Partitions past retention detached and dropped, by table',
      labelNames: ['table'] as const,
      registers,
    }),
    partitionsBlocked: new Gauge({
      name: 'maintenance_partitions_blocked',
      help: 'Partitions past retention kept at the last run because something still refers to them, by table',
      labelNames: ['table'] as const,
      registers,
    }),
    rowsDeleted: new Counter({
      name: 'maintenance_rows_deleted_total',
      help: 'Rows past retention deleted from the unpartitioned bounded tables, by table',
      labelNames: ['table'] as const,
      registers,
    }),
    expirySkipped: new Counter({
      name: 'maintenance_expiry_skipped_total',
      help: "Runs that dropped none of a group's expired partitions because a live check failed (the inbox: the commands topic keeps records longer than INBOX_RETENTION allows, or cannot be read)",
      labelNames: ['group'] as const,
      registers,
    }),
    defaultPartitionRows: new Gauge({
      name: 'maintenance_default_partition_rows',
      help: 'Rows in the DEFAULT partition at the last run (capped at 10000): keys outside every day, by table',
      labelNames: ['table'] as const,
      registers,
    }),
  };
}

export type MaintenanceMetrics = ReturnType<typeof createMaintenanceMetrics>;
