// Load generators shared by the benchmarks: closed loop (autocannon, as many requests as the
// server takes) and open loop (a fixed rate, on schedule, whatever the server does).

import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { LatencyHistogram } from './latencyHistogram.ts';
import { type Distribution, round } from './stats.ts';

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

export interface PacedOptions {
  /**
   * A safety bound on requests in flight; none by default. A request that cannot start because
   * of it starts late and is counted in `late`; its latency still runs from its scheduled time.
   */
  maxInFlight?: number;
  /** How far behind its schedule a start counts as late (ms, default 10). */
  lateAfterMs?: number;
}

export interface PacedResult {
  /** The rate asked for (per second). */
  offeredPerSecond: number;
  /** Requests scheduled (rate × seconds). */
  scheduled: number;
  /** Requests whose work resolved without failing, per second of `elapsed`. */
  achievedPerSecond: number;
  ok: number;
  /** Requests whose work threw or answered `false`. */
  failed: number;
  /** Wall time from the first scheduled start to the last completion, in seconds. */
  elapsed: number;
  /** Starts that left more than `lateAfterMs` after their scheduled time (client behind or cap). */
  late: number;
  /** The most requests in flight at once. */
  maxInFlight: number;
  /** From each request's scheduled time to its completion (ms): no coordinated omission. */
  latencyMs: Distribution;
  cdf: [number, number][];
}

/**
 * Open loop: runs `work(i, scheduledAt)` for i = 0, 1, … at `perSecond` for `seconds`, each on
 * its schedule: a slow answer does not delay the next send, and latency is measured from the
 * time a request was due (`scheduledAt`, epoch ms), so a client that fell behind cannot hide
 * the wait it caused (coordinated omission). `work` answers `false` (or throws) for a failure.
 */
export async function paced(
  perSecond: number,
  seconds: number,
  work: (i: number, scheduledAt: number) => Promise<unknown>,
  options: PacedOptions = {},
): Promise<PacedResult> {
  const cap = options.maxInFlight ?? Number.POSITIVE_INFINITY;
  const lateAfter = options.lateAfterMs ?? 10;
  const total = Math.round(perSecond * seconds);
  const interval = 1_000 / perSecond;
  const histogram = new LatencyHistogram();
  const running = new Set<Promise<void>>();
  const started = performance.now();
  let late = 0;
  let ok = 0;
  let failed = 0;
  let most = 0;
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    while (running.size >= cap) await Promise.race(running);
    if (performance.now() - due > lateAfter) late += 1;
    const task = work(i, performance.timeOrigin + due)
      .then(
        (answer) => {
          if (answer === false) failed += 1;
          else ok += 1;
        },
        () => {
          failed += 1;
        },
      )
      .finally(() => {
        histogram.record(performance.now() - due);
        running.delete(task);
      });
    running.add(task);
    most = Math.max(most, running.size);
  }
  await Promise.all(running);
  const elapsed = (performance.now() - started) / 1_000;
  return {
    offeredPerSecond: perSecond,
    scheduled: total,
    achievedPerSecond: round(ok / elapsed),
    ok,
    failed,
    elapsed: round(elapsed, 2),
    late,
    maxInFlight: most,
    latencyMs: histogram.distribution(),
    cdf: histogram.cdf(),
  };
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
