// The ingest API's write transaction as raw SQL (lib/ingestSql.ts), driven as fast as
// `workers` connections go for `seconds`: the ingest phase's ceilings (grouped like the API's
// group commit, for single POSTs and for the batch endpoint) and baseline (one command per
// transaction), and the end-to-end phase's own.

import { randomUUID } from 'node:crypto';
import { newId } from '@exactly/persistence';
import pg from 'pg';
import { type RawRequest, rawWrite } from './ingestSql.ts';
import { round } from './stats.ts';

export interface RawResult {
  connections: number;
  /** Requests per transaction. */
  perTransaction: number;
  /** Commands per request: 1 for single POSTs, more for batches of the batch endpoint. */
  perRequest: number;
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
  perRequest = 1,
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
          const requests = Array.from({ length: perTransaction }, () => rawRequest(perRequest));
          const begun = performance.now();
          await rawWrite(client, accountId, keyId, requests);
          latencies.push(performance.now() - begun);
          committed += perTransaction * perRequest;
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
    perRequest,
    perSecond: round(committed / elapsed),
    commands: committed,
    p50: at(0.5),
    p99: at(0.99),
  };
}

/** A request with a new key: a single POST, or a batch whose commands are keyed as the API keys them. */
function rawRequest(perRequest: number): RawRequest {
  const key = randomUUID();
  if (perRequest === 1) return { key, commands: [{ key, messageId: newId('msg') }], batch: false };
  const commands = Array.from({ length: perRequest }, (_, index) => ({
    key: `${key}/${index}`,
    messageId: newId('msg'),
  }));
  return { key, commands, batch: true };
}
