// The WAL one database wrote between two positions, by table, read back from the WAL itself with
// pg_walinspect (a contrib extension that needs no restart): a shared server's other databases
// write into the same WAL, so pg_current_wal_lsn() deltas overstate a run's share. A record is
// this database's when a block it touches is in the database, or when its transaction wrote such
// a block (commit records). Indexes and TOAST count with their table.

import type pg from 'pg';

export interface WalShare {
  /** The table (indexes and TOAST included), a sequence, `catalog`, or a record kind (`Transaction COMMIT`). */
  what: string;
  records: number;
  bytes: number;
  fullPageImageBytes: number;
}

interface RelationRow {
  filenode: string | null;
  relname: string;
  relkind: string;
  nspname: string;
  owner: string | null;
}

export async function walByTable(client: pg.Client, fromLsn: string, toLsn: string): Promise<WalShare[]> {
  await client.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
  const [{ oid } = { oid: '' }] = (
    await client.query<{ oid: string }>(
      'SELECT oid::text FROM pg_database WHERE datname = current_database()',
    )
  ).rows;
  // Each relation's file, named by the table it belongs to (an index's table, a TOAST table's owner).
  const relations = await client.query<RelationRow>(
    `SELECT pg_relation_filenode(c.oid)::text AS filenode, c.relname, c.relkind, n.nspname,
            coalesce(toastOwner.relname, indexTable.relname, indexToastOwner.relname) AS owner
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_class toastOwner ON toastOwner.reltoastrelid = c.oid
       LEFT JOIN pg_index i ON i.indexrelid = c.oid
       LEFT JOIN pg_class indexTable ON indexTable.oid = i.indrelid AND indexTable.relkind <> 't'
       LEFT JOIN pg_class indexToastOwner ON indexToastOwner.reltoastrelid = i.indrelid`,
  );
  const names = new Map<string, string>();
  for (const row of relations.rows) {
    if (row.filenode === null) continue;
    const name = row.owner ?? row.relname;
    names.set(row.filenode, row.nspname === 'pg_catalog' && row.owner === null ? 'catalog' : name);
  }
  const { rows } = await client.query<{
    filenode: string | null;
    kind: string;
    records: string;
    bytes: string;
    fpi: string;
  }>(
    `WITH r AS (
       SELECT xid, resource_manager || ' ' || record_type AS kind, record_length, fpi_length,
              substring(block_ref FROM 'rel \\d+/' || $3 || '/(\\d+)') AS filenode
         FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)
     ), ours AS (SELECT DISTINCT xid FROM r WHERE filenode IS NOT NULL AND xid <> '0')
     SELECT filenode, CASE WHEN filenode IS NULL THEN kind END AS kind,
            count(*) AS records, sum(record_length) AS bytes, sum(fpi_length) AS fpi
       FROM r
      WHERE filenode IS NOT NULL OR (xid <> '0' AND xid IN (SELECT xid FROM ours))
      GROUP BY 1, 2`,
    [fromLsn, toLsn, oid],
  );
  const shares = new Map<string, WalShare>();
  for (const row of rows) {
    const what =
      row.filenode === null ? row.kind : (names.get(row.filenode) ?? 'a relation dropped or rewritten since');
    const share = shares.get(what) ?? { what, records: 0, bytes: 0, fullPageImageBytes: 0 };
    share.records += Number(row.records);
    share.bytes += Number(row.bytes);
    share.fullPageImageBytes += Number(row.fpi);
    shares.set(what, share);
  }
  return [...shares.values()].sort((a, b) => b.bytes - a.bytes);
}
