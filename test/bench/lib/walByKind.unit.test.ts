import { lsnBytes, sumWalByKind, walByKindPer, walKindOf } from './walByKind.ts';

describe('the WAL by what wrote it', () => {
  it('puts each record type of pg_get_wal_stats in its kind', () => {
    expect(walKindOf('Heap/INSERT')).toBe('rowsInserted');
    expect(walKindOf('Heap/INSERT+INIT')).toBe('rowsInserted');
    expect(walKindOf('Heap2/MULTI_INSERT')).toBe('rowsInserted');
    expect(walKindOf('Heap/HOT_UPDATE')).toBe('rowsUpdated');
    expect(walKindOf('Heap/UPDATE+INIT')).toBe('rowsUpdated');
    expect(walKindOf('Heap/DELETE')).toBe('rowsDeleted');
    expect(walKindOf('Btree/INSERT_LEAF')).toBe('indexEntries');
    expect(walKindOf('Btree/SPLIT_R')).toBe('indexEntries');
    expect(walKindOf('Transaction/COMMIT')).toBe('transactions');
    expect(walKindOf('Heap/LOCK')).toBe('other');
    expect(walKindOf('Heap2/PRUNE_ON_ACCESS')).toBe('other');
    expect(walKindOf('XLOG/FPI_FOR_HINT')).toBe('other');
  });

  it('sums the bytes by kind, and per command', () => {
    const sums = sumWalByKind([
      { recordType: 'Heap/INSERT', bytes: 9_000, fullPageImageBytes: 4_000 },
      { recordType: 'Heap/INSERT+INIT', bytes: 1_000 },
      { recordType: 'Btree/INSERT_LEAF', bytes: 3_000, fullPageImageBytes: 2_000 },
      { recordType: 'Heap/DELETE', bytes: 500 },
      { recordType: 'Transaction/COMMIT', bytes: 200 },
      { recordType: 'Heap2/VISIBLE', bytes: 300 },
    ]);
    expect(sums).toEqual({
      rowsInserted: 10_000,
      rowsUpdated: 0,
      rowsDeleted: 500,
      indexEntries: 3_000,
      transactions: 200,
      other: 300,
      total: 14_000,
      fullPageImages: 6_000,
    });
    expect(walByKindPer(sums, 4)).toEqual({
      rowsInserted: 2_500,
      rowsUpdated: 0,
      rowsDeleted: 125,
      indexEntries: 750,
      transactions: 50,
      other: 75,
      total: 3_500,
      fullPageImages: 1_500,
    });
  });

  it('reads a WAL position as bytes, as pg_wal_lsn_diff does', () => {
    expect(lsnBytes('0/0')).toBe(0);
    expect(lsnBytes('0/10')).toBe(16);
    expect(lsnBytes('16/B374D848') - lsnBytes('16/B374D000')).toBe(0x848);
    expect(lsnBytes('17/0') - lsnBytes('16/FFFFFFFF')).toBe(1);
  });
});
