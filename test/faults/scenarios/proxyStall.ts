import { TcpProxy } from '@exactly/testkit';
import type { Scenario } from '../harness/runScenario.ts';
import { throughPort } from './clientTimeouts.ts';

/**
 * Every service reaches PostgreSQL through a userspace TCP proxy that adds latency, then stalls
 * every connection (bytes stop, sockets stay open), then resets them all.
 */
export const proxyStall: Scenario<TcpProxy> = {
  name: 'proxy-latency-stall',
  description:
    'a TCP proxy between every service and PostgreSQL: 40 ms per chunk (8 s), every connection stalled (7 s), then all reset',
  seed: 1010,
  commands: 1_500,
  load: { ratePerSecond: 50 },
  async setUp(base) {
    const proxy = new TcpProxy({ port: Number(new URL(base.databaseUrl).port) });
    const port = await proxy.listen();
    return {
      environment: base,
      resources: proxy,
      env: ({ databaseUrl }) => {
        const DATABASE_URL = throughPort(databaseUrl, port);
        return { ingest: { DATABASE_URL }, relay: { DATABASE_URL }, dispatcher: { DATABASE_URL } };
      },
    };
  },
  async release(proxy) {
    await proxy.close();
  },
  async run(context, proxy) {
    const load = context.load();
    try {
      await context.sleep(context.between(2_000, 4_000));
      proxy.setLatency(40);
      context.injected('40 ms on every chunk to and from PostgreSQL for 8 s');
      await context.sleep(8_000);
      proxy.setLatency(0);
      await context.sleep(context.between(1_000, 3_000));
      proxy.stall();
      context.injected('every PostgreSQL connection stalled for 7 s');
      await context.sleep(7_000);
      proxy.resetAll();
      proxy.forward();
      context.injected('every PostgreSQL connection reset');
    } finally {
      proxy.setLatency(0);
      proxy.forward();
      await load;
    }
  },
};
