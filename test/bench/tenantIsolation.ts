// Tenant isolation: what one tenant's sends cost while another tenant attacks the same ingest API.
// The victim sends one message at a time (a new key each) and its latency is measured twice in
// the same run: quiet (the baseline), then while 2,048 sockets hold announced bodies they never
// send and a second tenant floods at ten times its quota. The figures are ratios to the quiet
// baseline, because this shared machine's absolute times move between runs.
//
//   node test/bench/tenantIsolation.ts     (DATABASE_URL and KAFKA_BROKERS as for the other phases)

import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Account, issueApiKey, newId, openOrm } from '@exactly/persistence';
import { type RunningService, startService } from '@exactly/testkit';
import { createBenchDatabase, log } from './lib/environment.ts';
import { percentile, round } from './lib/stats.ts';

const sends = Number(process.env.BENCH_TENANT_SENDS ?? 300);
const stalledSockets = 2_048;
const quotaPerSecond = 20;

const body = JSON.stringify({ channel: 'sms', to: '+15551230000', from: 'EXACTLY', text: 'isolation' });

async function send(url: string, apiKey: string, key: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body,
  });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

/** The victim's sends, one after the other: statuses and latencies. */
async function victimRun(url: string, apiKey: string, label: string) {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  for (let index = 0; index < sends; index += 1) {
    const { status, ms } = await send(url, apiKey, `${label}-${index}`);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    latencies.push(ms);
    // Paced below the victim's own quota, so every refusal would be the attacker's doing.
    await sleep(Math.max(0, 1_000 / (quotaPerSecond / 2) - ms));
  }
  latencies.sort((a, b) => a - b);
  return {
    accepted: statuses.get(202) ?? 0,
    other: [...statuses].filter(([status]) => status !== 202).map(([status, count]) => `${count}×${status}`),
    p50: round(percentile(latencies, 0.5), 2),
    p99: round(percentile(latencies, 0.99), 2),
    max: round(latencies.at(-1) ?? Number.NaN, 2),
  };
}

/** 2,048 sockets whose headers announce a body they never send (half with the attacker's key, half without). */
async function stallSockets(url: string, apiKey: string): Promise<Socket[]> {
  const { hostname, port } = new URL(url);
  const sockets: Socket[] = [];
  for (let index = 0; index < stalledSockets; index += 1) {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const auth = index % 2 === 0 ? `authorization: Bearer ${apiKey}\r\n` : '';
    socket.write(
      `POST /v1/messages HTTP/1.1\r\nHost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: 10\r\n${auth}idempotency-key: stalled-${index}\r\n\r\n`,
    );
    sockets.push(socket);
  }
  return sockets;
}

/** The attacker floods at ten times its quota until `stop` aborts; returns its statuses. */
async function flood(url: string, apiKey: string, stop: AbortSignal): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let index = 0;
  while (!stop.aborted) {
    const round = await Promise.all(
      Array.from({ length: quotaPerSecond }, () =>
        send(url, apiKey, `flood-${index++}`).catch(() => ({ status: 0, ms: 0 })),
      ),
    );
    for (const { status } of round) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    await sleep(100); // 20 every 100 ms: 200/s, ten times the quota
  }
  return statuses;
}

export async function runTenantIsolationBench() {
  const database = await createBenchDatabase('tenants');
  let api: RunningService | undefined;
  try {
    const orm = await openOrm({ databaseUrl: database.url, poolSize: 2 });
    const keys: string[] = [];
    for (const name of ['victim', 'attacker']) {
      const accountId = newId('acc');
      const em = orm.em.fork();
      em.create(Account, { id: accountId, name });
      await em.flush();
      keys.push((await issueApiKey(orm.em.fork(), accountId)).apiKey);
    }
    await orm.close();
    const [victimKey, attackerKey] = keys as [string, string];
    api = await startService('ingest-api', {
      env: {
        DATABASE_URL: database.url,
        ACCOUNT_RATE_LIMIT: String(quotaPerSecond),
        API_KEY_RATE_LIMIT: String(quotaPerSecond),
        RATE_LIMIT_WINDOW: '1s',
        ACCOUNT_CONCURRENCY: '16',
      },
    });
    log(`tenants: ${sends} victim sends quiet...`);
    await victimRun(api.url, victimKey, 'warm-up');
    const quiet = await victimRun(api.url, victimKey, 'quiet');
    log('tenants: quiet', quiet);
    log(`tenants: ${stalledSockets} stalled sockets and a flood at ten times the quota...`);
    const sockets = await stallSockets(api.url, attackerKey);
    const stop = new AbortController();
    const flooding = flood(api.url, attackerKey, stop.signal);
    const attacked = await victimRun(api.url, victimKey, 'attacked');
    stop.abort();
    const attacker = await flooding;
    for (const socket of sockets) socket.destroy();
    const result = {
      sends,
      quiet,
      attacked,
      attacker: Object.fromEntries(attacker),
      ratios: {
        p50AttackedToQuiet: round(attacked.p50 / quiet.p50, 2),
        p99AttackedToQuiet: round(attacked.p99 / quiet.p99, 2),
      },
    };
    log('tenants:', result);
    return result;
  } finally {
    await api?.stop();
    await database.drop();
  }
}

if (import.meta.main) console.log(JSON.stringify(await runTenantIsolationBench(), null, 2));
