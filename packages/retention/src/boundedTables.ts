/** A table kept small by deleting its rows past a retention, oldest first, in bounded batches. */
export interface BoundedTable {
  table: string;
  /** Its primary key (one column). */
  key: string;
  /** The indexed time the retention counts from. */
  timeColumn: string;
  retentionSetting: 'DEAD_LETTER_RETENTION' | 'SET_ASIDE_RETENTION' | 'WEBHOOK_DELIVERY_RETENTION';
  /** Rows that must stay whatever their age (a delivery still being retried). */
  keep?: string;
}

/**
 * Low-volume tables the maintenance job deletes from. Dead letters are not partitioned: their
 * uniqueness per source record (a re-consumed topic adds no second dead letter) and the redrives'
 * foreign key need keys without a time. Their redrives go with them (ON DELETE CASCADE).
 */
export const boundedTables: readonly BoundedTable[] = [
  { table: 'dead_letters', key: 'id', timeColumn: 'created_at', retentionSetting: 'DEAD_LETTER_RETENTION' },
  {
    table: 'outbox_set_aside',
    key: 'id',
    timeColumn: 'set_aside_at',
    retentionSetting: 'SET_ASIDE_RETENTION',
  },
  // A delivery row is the webhook consumer's inbox for (endpoint, event): it must outlive the
  // events topic's redelivery window (checked at start), and one still being retried stays.
  {
    table: 'webhook_deliveries',
    key: 'id',
    timeColumn: 'created_at',
    retentionSetting: 'WEBHOOK_DELIVERY_RETENTION',
    keep: "state = 'pending'",
  },
  {
    table: 'webhook_endpoint_events',
    key: 'id',
    timeColumn: 'at',
    retentionSetting: 'WEBHOOK_DELIVERY_RETENTION',
  },
];
