// The WAL between two positions split by what wrote it (pg_walinspect's per-record-type
// statistics): rows inserted, rows updated, rows deleted, index entries, transaction records and
// the rest. Every row a command keeps is inserted once with its content, so the bytes of heap
// inserts are what the pipeline's rows cost in WAL before any index entry, update or delete: a
// floor for the WAL per command that no implementation writing the same rows goes under.
// Server-wide, like the position delta it splits: the figure needs a server the run has to itself.

import { adminQuery } from './environment.ts';

export interface WalByKind {
  /** Heap inserts: each row's first version, with its content. */
  rowsInserted: number;
  /** Heap updates, HOT or not: the new versions of rows. */
  rowsUpdated: number;
  rowsDeleted: number;
  /** B-tree records: index entries of new row versions, page splits, deduplication. */
  indexEntries: number;
  /** Commit and abort records. */
  transactions: number;
  /** Everything else: locks, pruning, visibility map, checkpoints, sequences. */
  other: number;
  total: number;
  /** Of the total, the full-page images (a page's first change after a checkpoint), whatever the kind. */
  fullPageImages: number;
}

export type WalKind = Exclude<keyof WalByKind, 'total' | 'fullPageImages'>;

/** The kind of a `resource_manager/record_type` of pg_get_wal_stats (`Heap/INSERT+INIT`, `Btree/INSERT_LEAF`). */
export function walKindOf(recordType: string): WalKind {
  const [manager = '', type = ''] = recordType.split('/');
  const base = type.replace(/\+INIT$/, '');
  if ((manager === 'Heap' && base === 'INSERT') || (manager === 'Heap2' && base === 'MULTI_INSERT'))
    return 'rowsInserted';
  if (manager === 'Heap' && (base === 'UPDATE' || base === 'HOT_UPDATE')) return 'rowsUpdated';
  if (manager === 'Heap' && base === 'DELETE') return 'rowsDeleted';
  if (manager === 'Btree') return 'indexEntries';
  if (manager === 'Transaction') return 'transactions';
  return 'other';
}

/** Sums pg_get_wal_stats rows (record type, bytes with full-page images, those images' bytes) by kind. */
export function sumWalByKind(
  rows: readonly { recordType: string; bytes: number; fullPageImageBytes?: number }[],
): WalByKind {
  const sums: WalByKind = {
    rowsInserted: 0,
    rowsUpdated: 0,
    rowsDeleted: 0,
    indexEntries: 0,
    transactions: 0,
    other: 0,
    total: 0,
    fullPageImages: 0,
  };
  for (const { recordType, bytes, fullPageImageBytes = 0 } of rows) {
    sums[walKindOf(recordType)] += bytes;
    sums.total += bytes;
    sums.fullPageImages += fullPageImageBytes;
  }
  return sums;
}

/** The server's current WAL position, as text for pg_walinspect. */
export async function walLsn(databaseUrl: string): Promise<string> {
  const [row] = await adminQuery<{ lsn: string }>(
    'SELECT pg_current_wal_lsn()::text AS lsn',
    [],
    databaseUrl,
  );
  return row?.lsn ?? '0/0';
}

/** A WAL position (`16/B374D848`) as bytes from the start of the WAL. */
export function lsnBytes(lsn: string): number {
  const [high = '0', low = '0'] = lsn.split('/');
  return Number.parseInt(high, 16) * 2 ** 32 + Number.parseInt(low, 16);
}

/** The WAL written between two positions by kind, in bytes (records and their full-page images). */
export async function walByKind(databaseUrl: string, fromLsn: string, toLsn: string): Promise<WalByKind> {
  await adminQuery('CREATE EXTENSION IF NOT EXISTS pg_walinspect', [], databaseUrl);
  const rows = await adminQuery<{ record_type: string; bytes: string; fpi_bytes: string }>(
    `SELECT "resource_manager/record_type" AS record_type, combined_size AS bytes, fpi_size AS fpi_bytes
       FROM pg_get_wal_stats($1::pg_lsn, $2::pg_lsn, true)
      WHERE count > 0`,
    [fromLsn, toLsn],
    databaseUrl,
  );
  return sumWalByKind(
    rows.map((row) => ({
      recordType: row.record_type,
      bytes: Number(row.bytes),
      fullPageImageBytes: Number(row.fpi_bytes),
    })),
  );
}

/** Each kind divided by `commands`, rounded to bytes. */
export function walByKindPer(wal: WalByKind, commands: number): WalByKind {
  const per = (bytes: number) => Math.round(bytes / Math.max(1, commands));
  return {
    rowsInserted: per(wal.rowsInserted),
    rowsUpdated: per(wal.rowsUpdated),
    rowsDeleted: per(wal.rowsDeleted),
    indexEntries: per(wal.indexEntries),
    transactions: per(wal.transactions),
    other: per(wal.other),
    total: per(wal.total),
    fullPageImages: per(wal.fullPageImages),
  };
}
