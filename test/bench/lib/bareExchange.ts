// What an HTTP exchange costs this machine when the server does nothing: the route of
// peers/bareRoute.ts under the clients the bench drives the ingest API with, paced (open loop, as
// the latency phases) and in a closed loop (autocannon, as the replays). CPU of the server process
// and of the client (this process) per exchange, from /proc and process.cpuUsage().
//
// A hop of the pipeline costs at least this much at its rate: the control separates what the
// machine charges for waking a process per request from what the pipeline's own work costs.

import { randomUUID } from 'node:crypto';
import { freePort, ServiceProcess, waitForHttp } from '@exactly/testkit';
import { body } from './ingestSql.ts';
import { cannon, httpClient, paced } from './load.ts';
import { cpuSeconds } from './processes.ts';
import { round } from './stats.ts';

export interface ExchangeCost {
  /** Exchanges answered per second. */
  perSecond: number;
  /** CPU ms per exchange: the server process, the client, both. */
  serverMs: number;
  clientMs: number;
  totalMs: number;
}

export interface BareExchangeResult {
  /** Open loop at each rate (commands per second of the latency phases). */
  paced: (ExchangeCost & { rate: number })[];
  /** Closed loop, `connections` clients (autocannon). */
  closedLoop: ExchangeCost & { connections: number };
}

const headers = { 'content-type': 'application/json', authorization: 'Bearer bare' };

/** The CPU of the server (pid) and of this process while `load` runs, per exchange it answered. */
async function costOf(
  pid: number,
  load: () => Promise<{ ok: number; seconds: number }>,
): Promise<ExchangeCost> {
  const serverBefore = cpuSeconds(pid);
  const clientBefore = process.cpuUsage();
  const { ok, seconds } = await load();
  const client = process.cpuUsage(clientBefore);
  const serverMs = ((cpuSeconds(pid) - serverBefore) * 1_000) / Math.max(1, ok);
  const clientMs = (client.user + client.system) / 1_000 / Math.max(1, ok);
  return {
    perSecond: round(ok / seconds),
    serverMs: round(serverMs, 4),
    clientMs: round(clientMs, 4),
    totalMs: round(serverMs + clientMs, 4),
  };
}

export async function measureBareExchange(options: {
  rates: number[];
  seconds: number;
  connections: number;
}): Promise<BareExchangeResult> {
  const port = await freePort();
  const server = new ServiceProcess({
    entry: 'test/bench/peers/bareRoute.ts',
    name: 'bareRoute',
    env: { PORT: String(port) },
  });
  server.start();
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/healthz`, 60_000);
    const pid = server.pid;
    if (pid === undefined) throw new Error('bare route: no process id');
    const client = httpClient(url);
    const send = async () => {
      const answer = await client.post('/v1/messages', { ...headers, 'idempotency-key': randomUUID() }, body);
      return answer.status === 202;
    };
    try {
      await paced(Math.max(...options.rates), 2, send);
      const pacedCosts: BareExchangeResult['paced'] = [];
      for (const rate of options.rates) {
        const cost = await costOf(pid, async () => {
          const result = await paced(rate, options.seconds, send);
          return { ok: result.ok, seconds: result.elapsed };
        });
        pacedCosts.push({ rate, ...cost });
      }
      const closedLoop = await costOf(pid, async () => {
        const result = await cannon({
          url,
          path: '/v1/messages',
          connections: options.connections,
          seconds: options.seconds,
          headers,
          body,
          perRequest: () => ({ 'idempotency-key': randomUUID() }),
        });
        return { ok: result.ok, seconds: options.seconds };
      });
      return { paced: pacedCosts, closedLoop: { connections: options.connections, ...closedLoop } };
    } finally {
      client.close();
    }
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  const result = await measureBareExchange({
    rates: (process.env.BENCH_RATES ?? '100,500,2000').split(',').map(Number),
    seconds: Number(process.env.BENCH_SECONDS ?? 10),
    connections: 64,
  });
  console.log(JSON.stringify(result, null, 2));
}
