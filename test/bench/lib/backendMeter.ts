// What PostgreSQL spends on each client program: the CPU time of its server processes (from
// /proc, the backends being local processes) and the WAL they wrote (pg_stat_get_backend_wal,
// PostgreSQL 18), found through pg_stat_activity by each session's application_name or client port.
// Sampled every 500 ms and summed by increments, so a pooled session closed in between keeps
// what it used until its last sample. Backends flush their WAL counters at most once a second
// while busy, and within 10 s when idle: read the totals after the programs have idled 11 s.

import type pg from 'pg';
import { cpuSeconds } from './processes.ts';

export interface BackendCosts {
  cpuSeconds: number;
  walBytes: number;
  walRecords: number;
  fullPageImages: number;
  sessions: number;
}

/** The session as pg_stat_activity shows it. */
export interface SessionIdentity {
  clientPort: number | null;
  applicationName: string;
}

interface BackendRow {
  pid: number;
  client_port: number | null;
  application_name: string;
  backend_type: string;
  wal_bytes: string | null;
  wal_records: string | null;
  wal_fpi: string | null;
}

/**
 * Samples the backends of one database; `programOf(session)` names the program a session
 * belongs to (undefined: not one we measure). Autovacuum workers on the database are counted
 * as `autovacuum`.
 */
export function backendMeter(
  client: pg.Client,
  database: string,
  programOf: (session: SessionIdentity) => string | undefined,
) {
  const last = new Map<
    number,
    { program: string; cpu: number; walBytes: number; walRecords: number; fpi: number }
  >();
  const totals = new Map<string, BackendCosts>();
  let running = false;
  let loop: Promise<void> | undefined;

  const sample = async (count: boolean) => {
    const { rows } = await client.query<BackendRow>(
      `SELECT a.pid, a.client_port, a.application_name, a.backend_type, w.wal_bytes, w.wal_records, w.wal_fpi
         FROM pg_stat_activity a LEFT JOIN LATERAL pg_stat_get_backend_wal(a.pid) w ON true
        WHERE a.datname = $1 AND a.pid <> pg_backend_pid()`,
      [database],
    );
    for (const row of rows) {
      const program =
        last.get(row.pid)?.program ??
        (row.backend_type === 'autovacuum worker'
          ? 'autovacuum'
          : programOf({ clientPort: row.client_port, applicationName: row.application_name }));
      if (program === undefined) continue;
      let cpu: number;
      try {
        cpu = cpuSeconds(row.pid);
      } catch {
        continue; // ended since the query
      }
      const now = {
        program,
        cpu,
        walBytes: Number(row.wal_bytes ?? 0),
        walRecords: Number(row.wal_records ?? 0),
        fpi: Number(row.wal_fpi ?? 0),
      };
      const before = last.get(row.pid);
      last.set(row.pid, now);
      if (!count) continue;
      const total = totals.get(program) ?? {
        cpuSeconds: 0,
        walBytes: 0,
        walRecords: 0,
        fullPageImages: 0,
        sessions: 0,
      };
      // A session first seen now began during the window: all it used counts.
      total.cpuSeconds += now.cpu - (before?.cpu ?? 0);
      total.walBytes += now.walBytes - (before?.walBytes ?? 0);
      total.walRecords += now.walRecords - (before?.walRecords ?? 0);
      total.fullPageImages += now.fpi - (before?.fpi ?? 0);
      if (before === undefined) total.sessions += 1;
      totals.set(program, total);
    }
  };

  return {
    /** Takes the baseline of every live session, then samples until `stop()`. */
    async start(): Promise<void> {
      await sample(false);
      running = true;
      loop = (async () => {
        while (running) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          if (running) await sample(true);
        }
      })();
    },
    /** Stops sampling and returns what each program's sessions used since `start()`. */
    async stop(): Promise<Map<string, BackendCosts>> {
      running = false;
      await loop;
      await sample(true);
      const result = new Map(totals);
      totals.clear();
      return result;
    },
  };
}
