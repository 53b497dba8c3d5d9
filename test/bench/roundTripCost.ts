// What one round trip between two processes costs this machine in CPU, whatever the work:
// `node test/bench/roundTripCost.ts` (PostgreSQL running; DATABASE_URL as for the other phases).
//
// Every hop of the pipeline (a client's POST, each statement, each Kafka request, the provider's
// call) is at least one such exchange, and at a low rate each one wakes a sleeping process. The
// figures here are the floor under those hops:
//
// - two Node processes echoing one byte over loopback TCP (the one doing nothing with it);
// - node-postgres sending `SELECT 1` to a PostgreSQL backend (the backend's CPU from /proc).
//
// Each back to back (the next exchange as soon as the answer arrives) and paced (a 1 ms timer
// between exchanges, as at a low rate: both processes go to sleep every time; the timer's own
// cost, measured alone, is taken off). CPU of both sides per round trip, 3 rounds, median and
// spread. Flags: --json.

import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { log, serverUrl } from './lib/environment.ts';
import { cpuSeconds } from './lib/processes.ts';
import { round, type Spread, spread } from './lib/stats.ts';

const rounds = 3;
const backToBackCount = 20_000;
const pacedCount = 3_000;
const paceMs = 1;

export interface RoundTripCost {
  /** CPU µs of both processes per round trip. */
  microseconds: Spread;
  /** Round trips per second while measured. */
  perSecond: Spread;
}

export interface RoundTripCostResult {
  at: string;
  /** CPU µs of one 1 ms timer that wakes a sleeping process (taken off the paced figures). */
  timerMicroseconds: Spread;
  tcp: { backToBack: RoundTripCost; paced: RoundTripCost };
  postgres: { backToBack: RoundTripCost; paced: RoundTripCost };
}

/** CPU seconds of this process (user + system). */
const ownCpu = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

interface Exchange {
  /** One round trip. */
  once(): Promise<void>;
  /** CPU seconds of the other side so far. */
  otherCpu(): Promise<number>;
}

interface Sample {
  microseconds: number;
  perSecond: number;
}

async function measure(
  exchange: Exchange,
  count: number,
  pacedBy: number,
  timerCost: number,
): Promise<Sample> {
  const otherBefore = await exchange.otherCpu();
  const ownBefore = ownCpu();
  const started = performance.now();
  for (let n = 0; n < count; n += 1) {
    await exchange.once();
    if (pacedBy > 0) await sleep(pacedBy);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = ownCpu() - ownBefore + (await exchange.otherCpu()) - otherBefore;
  return {
    microseconds: round((cpu * 1e6) / count - (pacedBy > 0 ? timerCost : 0), 1),
    perSecond: Math.round(count / seconds),
  };
}

async function timerCost(): Promise<number> {
  const before = ownCpu();
  for (let n = 0; n < pacedCount; n += 1) await sleep(paceMs);
  return round(((ownCpu() - before) * 1e6) / pacedCount, 1);
}

/** A child process that echoes every byte back, and says its CPU when asked. */
async function echoProcess(): Promise<{ exchange: Exchange; close(): void }> {
  const child: ChildProcess = fork(new URL(import.meta.url).pathname, ['--echo'], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const [{ port }] = (await once(child, 'message')) as [{ port: number }];
  const socket: Socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await once(socket, 'connect');
  let answered: (() => void) | undefined;
  socket.on('data', () => answered?.());
  return {
    exchange: {
      once: () =>
        new Promise<void>((resolve) => {
          answered = resolve;
          socket.write('x');
        }),
      otherCpu: async () => {
        child.send('cpu');
        const [{ cpu }] = (await once(child, 'message')) as [{ cpu: number }];
        return cpu;
      },
    },
    close: () => {
      socket.destroy();
      child.kill();
    },
  };
}

function serveEcho(): void {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => socket.write(chunk));
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    process.send?.({ port: address.port });
  });
  process.on('message', () => process.send?.({ cpu: ownCpu() }));
  process.on('disconnect', () => process.exit(0));
}

/** A node-postgres client and the backend that serves it (its CPU read from /proc). */
async function postgresBackend(): Promise<{ exchange: Exchange; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = rows[0]?.pid;
  if (pid === undefined) throw new Error('no backend pid');
  return {
    exchange: {
      once: async () => {
        await client.query('SELECT 1');
      },
      otherCpu: async () => cpuSeconds(pid),
    },
    close: () => client.end(),
  };
}

async function costOf(exchange: Exchange, timer: number): Promise<RoundTripCostResult['tcp']> {
  const backToBack: Sample[] = [];
  const paced: Sample[] = [];
  await measure(exchange, 2_000, 0, timer);
  for (let n = 0; n < rounds; n += 1) {
    backToBack.push(await measure(exchange, backToBackCount, 0, timer));
    paced.push(await measure(exchange, pacedCount, paceMs, timer));
  }
  const summary = (samples: Sample[]): RoundTripCost => ({
    microseconds: spread(samples.map((sample) => sample.microseconds)),
    perSecond: spread(samples.map((sample) => sample.perSecond)),
  });
  return { backToBack: summary(backToBack), paced: summary(paced) };
}

export async function runRoundTripCost(): Promise<RoundTripCostResult> {
  const timers: number[] = [];
  for (let n = 0; n < rounds; n += 1) timers.push(await timerCost());
  const timerMicroseconds = spread(timers);
  log('round trips: two Node processes over loopback TCP');
  const echo = await echoProcess();
  const tcp = await costOf(echo.exchange, timerMicroseconds.median).finally(() => echo.close());
  log('round trips: node-postgres and its PostgreSQL backend');
  const backend = await postgresBackend();
  const postgres = await costOf(backend.exchange, timerMicroseconds.median).finally(() => backend.close());
  return { at: new Date().toISOString(), timerMicroseconds, tcp, postgres };
}

const figure = (value: Spread, unit = ''): string =>
  `${value.median.toLocaleString('en-US')}${unit} (${value.min.toLocaleString('en-US')}–${value.max.toLocaleString('en-US')})`;

export function roundTripCostTable(result: RoundTripCostResult): string {
  const row = (what: string, cost: RoundTripCost) =>
    `| ${what} | ${figure(cost.microseconds)} | ${figure(cost.perSecond)} |`;
  return [
    `## CPU per round trip between two processes (${rounds} rounds, median and min–max)`,
    '',
    '| exchange | CPU µs of both sides | round trips /s |',
    '| --- | ---: | ---: |',
    row('two Node processes, loopback TCP, back to back', result.tcp.backToBack),
    row(`two Node processes, loopback TCP, paced (${paceMs} ms timer between)`, result.tcp.paced),
    row('node-postgres `SELECT 1`, back to back', result.postgres.backToBack),
    row(`node-postgres \`SELECT 1\`, paced (${paceMs} ms timer between)`, result.postgres.paced),
    '',
    `The paced rows leave out the timer's own cost, ${figure(result.timerMicroseconds, ' µs')} per 1 ms timer.`,
  ].join('\n');
}

if (import.meta.main) {
  const { values: flags } = parseArgs({ options: { json: { type: 'boolean' }, echo: { type: 'boolean' } } });
  if (flags.echo) serveEcho();
  else {
    const result = await runRoundTripCost();
    console.log(flags.json ? JSON.stringify(result, null, 2) : roundTripCostTable(result));
  }
}
