/** A table kept small by deleting its rows past a retention, oldest first, in bounded batches. */
export interface BoundedTable {
  table: string;
  /** Its primary key (one column). */
  key: string;
  /** The indexed time the retention counts from. */
  timeColumn: string;
  retentionSetting: 'DEAD_LETTER_RETENTION' | 'SET_ASIDE_RETENTION';
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
];
