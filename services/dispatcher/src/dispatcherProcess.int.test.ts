import { setTimeout as sleep } from 'node:timers/promises';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { eventually, FakeProvider, type ServiceProcess, startService } from '@exactly/testkit';
import { produceCommands, type SeededCommand, seedAccount, seedMessages } from './testing/seedCommands.js';
import { databaseUrl, dispatcherTestKafka, testEnvironment } from './testing/testDispatcher.js';

// The dispatcher run as real processes (its package's built entry point), killed with SIGKILL as in a crash.

const { producer, topicForThisTest } = dispatcherTestKafka();
let orm: Orm;
let provider: FakeProvider;
const processes: ServiceProcess[] = [];

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 4 });
});

beforeEach(async () => {
  // These kills leave calls whose outcome is unknown; a provider that honours keys (and a
  // dispatcher told so) retries them safely. The hold policy has its own test below.
  provider = await new FakeProvider({ honoursKeys: true }).start();
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((service) => service.stop(5_000)));
  await provider.close();
});

afterAll(async () => {
  await orm.close();
});

async function scenario(count: number, partitions: number, extra: Record<string, string> = {}) {
  const { topic, group } = await topicForThisTest(partitions);
  const accountId = await seedAccount(orm);
  const commands = await seedMessages(orm, accountId, count);
  const env = testEnvironment(topic, group, {
    PROVIDER_EMAIL: 'http',
    HTTP_PROVIDER_URL: provider.url,
    HTTP_PROVIDER_HONOURS_KEY: 'true',
    // The broker's minimum: a killed member's partitions move on after this.
    CONSUMER_SESSION_TIMEOUT: '6s',
    LOG_LEVEL: 'warn',
    ...extra,
  });
  const launch = async (name: string) => {
    const { process } = await startService('dispatcher', { name, env, readyTimeoutMs: 30_000 });
    processes.push(process);
    return process;
  };
  return { topic, commands, launch };
}

async function count(sql: string, parameters: unknown[]): Promise<number> {
  const { rows } = await runSql<{ count: string }>(orm.em.fork(), sql, parameters);
  return Number(rows[0]?.count);
}

/**
 * Every command sent exactly once, and every provider request accounted for: a key is called at
 * most once per attempt (a retry after a failure or timeout) plus once per resume of an attempt
 * a crash left without outcome, always with the same key. No call comes from anywhere else.
 */
async function expectEachSentOnce(commands: readonly SeededCommand[]) {
  const ids = commands.map((command) => command.messageId);
  const notOnce = ids.filter((id) => provider.sends.get(id) !== 1);
  expect(notOnce).toEqual([]);
  expect(provider.keyMismatches).toEqual([]);
  const { rows: effects } = await runSql<{ message_id: string; attempt: number; resumes: number }>(
    orm.em.fork(),
    'SELECT message_id, attempt, resumes FROM effects WHERE message_id = ANY($1)',
    [ids],
  );
  expect(effects).toHaveLength(ids.length);
  const unaccounted = effects.filter(
    (effect) => (provider.requests.get(effect.message_id) ?? 0) > effect.attempt + effect.resumes,
  );
  expect(unaccounted).toEqual([]);
  const resumes = effects.reduce((sum, effect) => sum + effect.resumes, 0);
  // One dispatch and one acceptance per stream: no second set of events.
  const streams = await runSql<{ dispatches: string; accepts: string }>(
    orm.em.fork(),
    `SELECT count(*) FILTER (WHERE type = 'DispatchRequested') AS dispatches,
            count(*) FILTER (WHERE type = 'ProviderAccepted') AS accepts
       FROM message_events WHERE stream_id = ANY($1)`,
    [ids],
  );
  expect(streams.rows[0]).toEqual({ dispatches: String(ids.length), accepts: String(ids.length) });
  expect(await count("SELECT count(*) FROM messages WHERE id = ANY($1) AND status <> 'sent'", [ids])).toBe(0);
  return { resumes };
}

async function allSent(commands: readonly SeededCommand[]): Promise<boolean> {
  return (
    (await count("SELECT count(*) FROM effects WHERE message_id = ANY($1) AND state = 'succeeded'", [
      commands.map((command) => command.messageId),
    ])) === commands.length
  );
}

/**
 * A batch transaction of the commands topic, by the statement its session ran last: the inbox
 * insert, or the writes that end with the stored offset. Not the outcome transactions (they write
 * `effects` and `message_events` too, and end otherwise when PostgreSQL ends them) nor the webhook
 * consumer's (it stores offsets alone).
 */
const inboxTransaction = /INSERT INTO inbox|message_events.*INSERT INTO consumer_offsets/;

/** Pauses the process at an instant when it holds an open transaction that has written rows. */
async function pauseInsideTransaction(service: ServiceProcess, what: RegExp): Promise<void> {
  for (let tries = 0; tries < 2_000; tries += 1) {
    service.pause();
    const open = await count(
      `SELECT count(*) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND backend_xid IS NOT NULL AND query ~ $1`,
      [what.source],
    );
    if (open > 0) return;
    service.resume();
    await sleep(2);
  }
  throw new Error('never caught the process inside a transaction');
}

describe('a dispatcher killed with SIGKILL in the middle of a batch', () => {
  it('leaves nothing half done: after a restart every command is sent once', async () => {
    const { topic, commands, launch } = await scenario(4_000, 3);
    const first = await launch('dispatcher-1');
    await produceCommands(
      producer,
      topic,
      commands.map((command) => command.record),
    );
    // Caught with the batch transaction open (it has inserted into the inbox), then killed.
    await pauseInsideTransaction(first, inboxTransaction);
    await first.kill();
    const done = await count('SELECT count(*) FROM inbox WHERE topic = $1', [topic]);
    expect(done).toBeLessThan(commands.length);

    await launch('dispatcher-2');
    await eventually('every command sent', () => allSent(commands), 60_000);
    await expectEachSentOnce(commands);
    expect(await count('SELECT count(*) FROM inbox WHERE topic = $1', [topic])).toBe(commands.length);
  });
});

describe('a dispatcher killed with SIGKILL in the middle of provider calls', () => {
  it('resumes the attempts left in flight with the same key: every command sent once', async () => {
    const { topic, commands, launch } = await scenario(300, 3);
    provider.stall(2_000);
    const first = await launch('dispatcher-1');
    await produceCommands(
      producer,
      topic,
      commands.map((command) => command.record),
    );
    await eventually('calls in flight', async () => provider.totalSends > 0);
    await first.kill();
    const inFlight = await count(
      "SELECT count(*) FROM effects WHERE state = 'in_flight' AND message_id = ANY($1)",
      [commands.map((command) => command.messageId)],
    );
    expect(inFlight).toBeGreaterThan(0);

    provider.stall(0);
    await launch('dispatcher-2');
    await eventually('every command sent', () => allSent(commands), 60_000);
    const { resumes } = await expectEachSentOnce(commands);
    expect(resumes).toBeGreaterThanOrEqual(inFlight);
  });
});

describe('a dispatcher paused (SIGSTOP) inside a batch transaction while another takes its partitions', () => {
  it('is fenced: its transaction is ended, and after it resumes every command is still sent once', async () => {
    const { topic, commands, launch } = await scenario(3_000, 3);
    const first = await launch('dispatcher-1');
    await produceCommands(
      producer,
      topic,
      commands.map((command) => command.record),
    );
    await pauseInsideTransaction(first, inboxTransaction);
    // The paused member's session expires, its partitions move to the second, whose batches
    // wait on the paused transaction's row locks until PostgreSQL ends that idle transaction.
    await launch('dispatcher-2');
    await eventually('every command sent', () => allSent(commands), 60_000);
    first.resume();
    // It finds its transaction ended by the server and tries the batch again: below the stored offset now.
    await first.waitForOutput(/batch failed; trying it again/, 20_000);
    await sleep(1_000);

    await expectEachSentOnce(commands);
    expect(await count('SELECT count(*) FROM inbox WHERE topic = $1', [topic])).toBe(commands.length);
  });
});

describe('three dispatcher processes with a rebalance mid-stream (one killed, one added)', () => {
  it('sends each of 20,000 commands exactly once', async () => {
    // Calls slow down with three dispatchers and the fake provider on two cores: a longer
    // timeout keeps retries (legitimate, same key) rare.
    const { topic, commands, launch } = await scenario(20_000, 12, {
      PROVIDER_TIMEOUT: '4s',
      EFFECT_LEASE: '6s',
    });
    const [first] = await Promise.all([launch('dispatcher-1'), launch('dispatcher-2')]);
    await produceCommands(
      producer,
      topic,
      commands.map((command) => command.record),
    );
    await eventually('a quarter sent', async () => provider.totalSends >= 5_000, 60_000);
    await first?.kill();
    await launch('dispatcher-3');
    await eventually('every command sent', () => allSent(commands), 120_000);

    await expectEachSentOnce(commands);
    expect(await count('SELECT count(*) FROM inbox WHERE topic = $1', [topic])).toBe(commands.length);
    expect(await count('SELECT count(*) FROM dead_letters WHERE source_topic = $1', [topic])).toBe(0);
  }, 180_000);
});

describe('a dispatcher killed with SIGKILL in the middle of calls to a provider that ignores keys', () => {
  it('calls no provider twice: every attempt the kill left under way is held, every other command sent once', async () => {
    await provider.close();
    provider = await new FakeProvider().start();
    const { topic, commands, launch } = await scenario(300, 3, { HTTP_PROVIDER_HONOURS_KEY: 'false' });
    provider.stall(2_000);
    const first = await launch('dispatcher-1');
    await produceCommands(
      producer,
      topic,
      commands.map((command) => command.record),
    );
    await eventually('calls in flight', async () => provider.totalSends > 0);
    await first.kill();
    provider.stall(0);
    await launch('dispatcher-2');
    const ids = commands.map((command) => command.messageId);
    await eventually(
      'every command sent or held',
      async () =>
        (await count("SELECT count(*) FROM messages WHERE id = ANY($1) AND status IN ('sent', 'held')", [
          ids,
        ])) === ids.length,
      60_000,
    );

    expect(provider.repeatedKeys()).toEqual([]);
    const { rows } = await runSql<{ id: string; status: string }>(
      orm.em.fork(),
      'SELECT id, status FROM messages WHERE id = ANY($1)',
      [ids],
    );
    const held = rows.filter((row) => row.status === 'held').map((row) => row.id);
    expect(held.length).toBeGreaterThan(0);
    // Each held message is an attempt recorded as started whose outcome is unknown.
    expect(
      await count(
        "SELECT count(*) FROM effect_attempts a JOIN effects e ON e.id = a.effect_id WHERE e.message_id = ANY($1) AND a.outcome = 'ambiguous'",
        [held],
      ),
    ).toBe(held.length);
    for (const row of rows.filter((entry) => entry.status === 'sent'))
      expect(provider.sends.get(row.id)).toBe(1);
  });
});
