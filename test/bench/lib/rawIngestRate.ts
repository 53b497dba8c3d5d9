// The ingest API's write transaction as raw SQL (lib/ingestSql.ts), driven as fast as
// `workers` connections go for `seconds`: the ingest phase's ceiling (grouped like the API's
// group commit) and baseline (one command per transaction), and the end-to-end phase's own.

import { randomUUID } from 'node:crypto';
import { newId } from '@exactly/persistence';
import pg from 'pg';
import { rawWrite } from './ingestSql.ts';
import { round } from './stats.ts';

export interface RawResult {
  connections: number;
  /** Commands per transaction. */
  perTransaction: number;
  perSecond: number;
  /** Commands committed in the run. */
  commands: number;
  /** Per transaction (ms). */
  p50: number;
  p99: number;
}

export async function rawIngestRate(
  databaseUrl: string,
  accountId: string,
  keyId: string,
  workers: number,
  perTransaction: number,
  seconds: number,
): Promise<RawResult> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: workers });
  const latencies: number[] = [];
  let committed = 0;
  const started = performance.now();
  const deadline = started + seconds * 1_000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      const client = await pool.connect();
      try {
        while (performance.now() < deadline) {
          const commands = Array.from({ length: perTransaction }, () => ({
            key: randomUUID(),
            messageId: newId('msg'),
          }));
          const begun = performance.now();
          await rawWrite(client, accountId, keyId, commands);
          latencies.push(performance.now() - begun);
          committed += perTransaction;
        }
      } finally {
        client.release();
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1_000;
  await pool.end();
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN, 2);
  return {
    connections: workers,
    perTransaction,
    perSecond: round(committed / elapsed),
    commands: committed,
    p50: at(0.5),
    p99: at(0.99),
  };
}
