// Load generators shared by the benchmarks: closed loop (autocannon, as many requests as the
// server takes) and open loop (a fixed rate, on schedule, whatever the server does).

import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { round } from './stats.ts';

export interface CannonOptions {
  url: string;
  path: string;
  connections: number;
  seconds: number;
  headers: Record<string, string>;
  body: string;
  /** A header set per request (for example a new idempotency key each time). */
  perRequest?: () => Record<string, string>;
}

export interface CannonResult {
  connections: number;
  /** 2xx answers per second. */
  perSecond: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
}

/** Closed loop: `connections` clients, each sending its next request when the last was answered. */
export async function cannon(options: CannonOptions): Promise<CannonResult> {
  const { perRequest } = options;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: 'POST',
        path: options.path,
        headers: options.headers,
        body: options.body,
        ...(perRequest
          ? {
              setupRequest: (item) => ({ ...item, headers: { ...item.headers, ...perRequest() } }),
            }
          : {}),
      },
    ],
  });
  return {
    connections: options.connections,
    perSecond: round(result['2xx'] / options.seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

export interface PacedResult {
  /** Wall time from the first scheduled start to the last completion, in seconds. */
  elapsed: number;
  /** Starts that left more than 10 ms after their scheduled time (the client fell behind). */
  late: number;
}

/**
 * Open loop: runs `work(i)` for i = 0, 1, … at `perSecond` for `seconds`, each on its schedule
 * (no coordinated omission: a slow answer does not delay the next send), with at most
 * `maxInFlight` at once as a safety bound.
 */
export async function paced(
  perSecond: number,
  seconds: number,
  work: (i: number) => Promise<void>,
  maxInFlight = 512,
): Promise<PacedResult> {
  const total = Math.round(perSecond * seconds);
  const interval = 1_000 / perSecond;
  const running = new Set<Promise<void>>();
  const started = performance.now();
  let late = 0;
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    while (running.size >= maxInFlight) await Promise.race(running);
    if (performance.now() - due > 10) late += 1;
    const task = work(i)
      .catch(() => {})
      .finally(() => running.delete(task));
    running.add(task);
  }
  await Promise.all(running);
  return { elapsed: (performance.now() - started) / 1_000, late };
}

export interface JsonAnswer {
  status: number;
  body: string;
}

/** A keep-alive HTTP client for open-loop load: far cheaper per request than fetch. */
export function httpClient(baseUrl: string, maxSockets = 256) {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const { hostname, port } = new URL(baseUrl);
  return {
    post(path: string, headers: Record<string, string>, body: string): Promise<JsonAnswer> {
      return new Promise((resolve, reject) => {
        const req = request(
          {
            agent,
            hostname,
            port,
            path,
            method: 'POST',
            headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
    close(): void {
      agent.destroy();
    },
  };
}
