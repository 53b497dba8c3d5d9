import { TcpProxy } from '@exactly/testkit';
import type { Scenario } from '../harness/runScenario.ts';

/** The same database reached through another port (a proxy's). */
export function throughPort(databaseUrl: string, port: number): string {
  const url = new URL(databaseUrl);
  url.port = String(port);
  return url.toString();
}

/**
 * The ingest API reaches PostgreSQL through a proxy that delays every chunk, so a command's
 * transaction takes longer than the client's timeout: every retry (same key) overlaps the first
 * request still in flight, and is answered 409 (in flight) or with the replay once it commits.
 */
export const clientTimeouts: Scenario<TcpProxy> = {
  name: 'client-timeouts',
  description:
    "client timeout (200 ms) shorter than the server's latency (60 ms per database round trip): retries overlap the request in flight",
  seed: 404,
  commands: 600,
  load: { ratePerSecond: 40, timeoutMs: 200, concurrency: 24, maxAttempts: 80 },
  async setUp(base) {
    const proxy = new TcpProxy({ port: Number(new URL(base.databaseUrl).port) });
    const port = await proxy.listen();
    return {
      environment: base,
      resources: proxy,
      env: ({ databaseUrl }) => ({ ingest: { DATABASE_URL: throughPort(databaseUrl, port) } }),
    };
  },
  async release(proxy) {
    await proxy.close();
  },
  async run(context, proxy) {
    proxy.setLatency(60);
    context.injected('60 ms on every chunk between the ingest API and PostgreSQL');
    try {
      await context.load();
    } finally {
      proxy.setLatency(0);
    }
    const timeouts = context.history.attempts.filter((attempt) => attempt.code === 'timeout').length;
    context.injected(`${timeouts} client timeouts with the request still in flight`, 0);
    if (timeouts === 0)
      context.problem('no client attempt timed out: the latency did not exceed the timeout');
  },
};
