// PostgreSQL's side of a benchmark, without pg_stat_statements (not available here): WAL bytes
// written (pg_current_wal_lsn), row writes per table (pg_stat_user_tables, HOT or not), and a
// sampling profile of what the database's sessions are doing (pg_stat_activity every few ms:
// which statement runs, or what it waits for). Counters of backends still connected reach
// pg_stat_user_tables up to ~10 s late (PostgreSQL flushes an idle backend's statistics lazily),
// so a delta is taken after the writers under test have exited.

import pg from 'pg';
import { round } from './stats.ts';

export interface TableWrites {
  inserted: number;
  updated: number;
  hotUpdated: number;
  deleted: number;
}

interface TableRow {
  name: string;
  n_tup_ins: string;
  n_tup_upd: string;
  n_tup_hot_upd: string;
  n_tup_del: string;
}

export interface ActivityEntry {
  /** The statement (first 90 characters, whitespace collapsed) or the session state. */
  what: string;
  /** `CPU` when running without a wait event, else the wait event. */
  wait: string;
  /** Sessions doing this on average (samples in which a session did it / samples). */
  sessions: number;
}

export interface PostgresSnapshot {
  walBytes: number;
  tables: Record<string, TableWrites>;
}

export interface PostgresDelta {
  walBytes: number;
  walBytesPerCommand: number;
  /** Row writes per command, by table (tables with none left out). */
  rowWritesPerCommand: Record<string, TableWrites>;
  totalRowWritesPerCommand: number;
  /** Sampled activity of the database's sessions (while a sampler ran). */
  activity: ActivityEntry[];
  activitySamples: number;
}

function normalise(query: string): string {
  return query.replace(/\s+/g, ' ').trim().slice(0, 90);
}

/** A connection to one database that reads its WAL position, table counters and activity. */
export async function postgresView(databaseUrl: string, databaseName: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();

  async function snapshot(): Promise<PostgresSnapshot> {
    const wal = await client.query<{ bytes: string }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS bytes`,
    );
    const tables = await client.query<TableRow>(
      // A partition's counters are summed into its parent's (the message tables are partitioned by day).
      `SELECT CASE WHEN s.schemaname = 'public' THEN coalesce(p.relname, s.relname)
                   ELSE s.schemaname || '.' || coalesce(p.relname, s.relname) END AS name,
              sum(s.n_tup_ins) AS n_tup_ins, sum(s.n_tup_upd) AS n_tup_upd,
              sum(s.n_tup_hot_upd) AS n_tup_hot_upd, sum(s.n_tup_del) AS n_tup_del
         FROM pg_stat_user_tables s
         LEFT JOIN pg_inherits i ON i.inhrelid = s.relid
         LEFT JOIN pg_class p ON p.oid = i.inhparent
        GROUP BY 1`,
    );
    return {
      walBytes: Number(wal.rows[0]?.bytes ?? 0),
      tables: Object.fromEntries(
        tables.rows.map((row) => [
          row.name,
          {
            inserted: Number(row.n_tup_ins),
            updated: Number(row.n_tup_upd),
            hotUpdated: Number(row.n_tup_hot_upd),
            deleted: Number(row.n_tup_del),
          },
        ]),
      ),
    };
  }

  let sampling: { stop: () => Promise<{ entries: ActivityEntry[]; samples: number }> } | undefined;

  /** Samples pg_stat_activity of the database every `intervalMs` until `stop()`. */
  function startActivitySampler(intervalMs = 20) {
    const counts = new Map<string, number>();
    let samples = 0;
    let running = true;
    const loop = (async () => {
      while (running) {
        const started = performance.now();
        const { rows } = await client.query<{ query: string; state: string; wait: string | null }>(
          `SELECT query, state, CASE WHEN wait_event IS NULL THEN NULL
                                     ELSE wait_event_type || ':' || wait_event END AS wait
             FROM pg_stat_activity
            WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'
              AND state <> 'idle'`,
          [databaseName],
        );
        samples += 1;
        for (const row of rows) {
          const what = row.state === 'active' ? normalise(row.query) : `(${row.state})`;
          const key = `${what}\u0000${row.state === 'active' ? (row.wait ?? 'CPU') : '-'}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        const wait = intervalMs - (performance.now() - started);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    })();
    sampling = {
      async stop() {
        running = false;
        await loop;
        const entries = [...counts.entries()]
          .map(([key, count]) => {
            const [what, wait] = key.split('\u0000') as [string, string];
            return { what, wait, sessions: round(count / Math.max(1, samples), 2) };
          })
          .sort((a, b) => b.sessions - a.sessions);
        return { entries, samples };
      },
    };
  }

  return {
    snapshot,
    startActivitySampler,
    /** What changed since `before`, per command; stops the activity sampler if one runs. */
    async delta(before: PostgresSnapshot, commands: number): Promise<PostgresDelta> {
      const activity = (await sampling?.stop()) ?? { entries: [], samples: 0 };
      sampling = undefined;
      const after = await snapshot();
      const per = (value: number) => round(value / Math.max(1, commands), 2);
      const rowWritesPerCommand: Record<string, TableWrites> = {};
      let total = 0;
      for (const [table, now] of Object.entries(after.tables)) {
        const then = before.tables[table] ?? { inserted: 0, updated: 0, hotUpdated: 0, deleted: 0 };
        const writes = {
          inserted: per(now.inserted - then.inserted),
          updated: per(now.updated - then.updated),
          hotUpdated: per(now.hotUpdated - then.hotUpdated),
          deleted: per(now.deleted - then.deleted),
        };
        const sum = writes.inserted + writes.updated + writes.deleted;
        if (sum > 0) {
          rowWritesPerCommand[table] = writes;
          total += sum;
        }
      }
      const walBytes = after.walBytes - before.walBytes;
      return {
        walBytes,
        walBytesPerCommand: Math.round(walBytes / Math.max(1, commands)),
        rowWritesPerCommand,
        totalRowWritesPerCommand: round(total, 2),
        activity: activity.entries.slice(0, 15),
        activitySamples: activity.samples,
      };
    },
    async close() {
      await sampling?.stop();
      await client.end();
    },
  };
}
