import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createKafka } from '@exactly/messaging';
import { describeConsumerGroups } from '@exactly/operations';
import { eventually, freePort, serviceEntry } from '@exactly/testkit';
import type { Admin } from 'kafkajs';
import type { SupervisorEvent } from './superviseProcesses.js';

// `exactly dispatcher --instances 3` run as the operator would: a process that runs three
// dispatcher processes, which share the topic's partitions; one killed with SIGKILL is restarted.

const brokers = process.env.KAFKA_BROKERS ?? '';

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive free ports. */
async function freePorts(count: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    const rest = await Promise.all(
      Array.from({ length: count - 1 }, (_, index) => portIsFree(base + index + 1)),
    );
    if (rest.every(Boolean)) return base;
  }
}

describe('exactly dispatcher --instances 3', () => {
  let admin: Admin;
  const topic = `cli-supervisor-${randomUUID().slice(0, 12)}`;
  const group = `cli-supervisor-${randomUUID().slice(0, 12)}`;
  let supervisor: ChildProcess | undefined;

  beforeAll(async () => {
    admin = createKafka({ brokers: brokers.split(','), clientId: 'cli-supervisor-test' }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 12 }], waitForLeaders: true });
  });

  afterAll(async () => {
    supervisor?.kill('SIGKILL');
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  async function members() {
    const [report] = await describeConsumerGroups({ admin }, { groupIds: [group], topic });
    return report?.state === 'Stable' ? (report?.members ?? []) : [];
  }

  /** Three members that split the 12 partitions between them, each taking 4. */
  async function sharedByThree(): Promise<boolean> {
    const current = await members();
    const assigned = current.map((member) => member.assignment[topic] ?? []);
    return (
      current.length === 3 &&
      assigned.every((partitions) => partitions.length === 4) &&
      assigned
        .flat()
        .sort((a, b) => a - b)
        .join(',') === Array.from({ length: 12 }, (_, index) => index).join(',')
    );
  }

  it('runs three dispatchers that share the partitions, and restarts one killed with SIGKILL', async () => {
    const basePort = await freePorts(3);
    const child = spawn(
      process.execPath,
      [
        serviceEntry('cli'),
        'dispatcher',
        '--instances',
        '3',
        '--base-port',
        String(basePort),
        '--json',
        '--no-logs',
      ],
      {
        env: {
          ...process.env,
          KAFKA_BROKERS: brokers,
          COMMANDS_TOPIC: topic,
          MESSAGE_EVENTS_TOPIC: `${topic}-events`,
          DEAD_LETTER_TOPIC: `${topic}-dead-letters`,
          CONSUMER_GROUP: group,
          CONSUMER_SESSION_TIMEOUT: '6s',
          CONSUMER_MAX_WAIT: '250ms',
          LOG_LEVEL: 'warn',
          LOG_PROVIDER_FILE: join(tmpdir(), `${topic}.log`),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    supervisor = child;
    const events: SupervisorEvent[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => events.push(JSON.parse(line)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const readyCount = () => events.filter((event) => event.event === 'ready').length;

    await eventually('three ready dispatchers', async () => readyCount() === 3, 45_000);
    const started = events.filter((event) => event.event === 'started');
    expect(started.map((event) => event.event === 'started' && event.url).sort()).toEqual(
      [0, 1, 2].map((index) => `http://127.0.0.1:${basePort + index}`),
    );
    await eventually('the partitions shared by three members', sharedByThree, 30_000);

    const victim = started.find((event) => event.instance === 2);
    process.kill(victim?.event === 'started' ? victim.pid : 0, 'SIGKILL');
    await eventually('instance 2 restarted and ready', async () => readyCount() === 4, 30_000);
    expect(events).toContainEqual(
      expect.objectContaining({
        event: 'exited',
        instance: 2,
        signal: 'SIGKILL',
        restartInMs: expect.any(Number),
      }),
    );
    // The first restart waits the shared backoff's first step: between half of 1 s and all of it.
    const exitedEvent = events.find((event) => event.event === 'exited' && event.instance === 2);
    const restartInMs = exitedEvent?.event === 'exited' ? exitedEvent.restartInMs : -1;
    expect(restartInMs).toBeGreaterThanOrEqual(500);
    expect(restartInMs).toBeLessThanOrEqual(1_000);
    expect(events).toContainEqual(expect.objectContaining({ event: 'started', instance: 2, restarts: 1 }));
    // The killed member leaves the group when its session times out; then three share again.
    await eventually('the partitions shared by three members again', sharedByThree, 30_000);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(events.slice(-2).map((event) => event.event)).toEqual(['stopping', 'stopped']);
    const pids = events.flatMap((event) => (event.event === 'started' ? [event.pid] : []));
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    await eventually(
      'the group empty',
      async () =>
        (await members()).length === 0 &&
        (await admin.describeGroups([group])).groups[0]?.members.length === 0,
      15_000,
    );
  }, 120_000);
});
