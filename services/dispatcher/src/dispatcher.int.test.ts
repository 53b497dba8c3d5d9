import { randomBytes } from 'node:crypto';
import { compareMessageProjections, readStream, rebuildMessageProjections } from '@exactly/message-store';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { eventually, FakeProvider, metricValue } from '@exactly/testkit';
import { produceCommands, type SeededCommand, seedAccount, seedMessages } from './testing/seedCommands.js';
import {
  databaseUrl,
  dispatcherTestKafka,
  type RunningDispatcher,
  startTestDispatcher,
  testEnvironment,
} from './testing/testDispatcher.js';

const { admin, producer, topicForThisTest } = dispatcherTestKafka();
let orm: Orm;
/** Never deduplicates: a second call for a key is a second send, which the assertions would see. */
let provider: FakeProvider;
const running: RunningDispatcher[] = [];

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 12 });
  provider = await new FakeProvider().start();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((dispatcher) => dispatcher.stop()));
  provider.failNext(0);
  provider.stall(0);
});

afterAll(async () => {
  await provider.close();
  await orm.close();
});

/**
 * These tests count the provider's requests exactly: on a loaded machine the test environment's
 * 1 s provider timeout or 3 s lease can legitimately add a call (a timed-out attempt, or a resumed
 * one with the same key), which is right for the product but not what they count. The fake
 * provider answers at once, so nothing waits for these limits.
 */
const countedCalls = { PROVIDER_TIMEOUT: '15s', EFFECT_LEASE: '30s' };

async function setUp(partitions = 3, extra: Record<string, string> = {}) {
  const { topic, group } = await topicForThisTest(partitions);
  const env = testEnvironment(topic, group, {
    PROVIDER_EMAIL: 'http',
    HTTP_PROVIDER_URL: provider.url,
    ...countedCalls,
    ...extra,
  });
  const accountId = await seedAccount(orm);
  const start = async () => {
    const dispatcher = await startTestDispatcher(orm, env);
    running.push(dispatcher);
    return dispatcher;
  };
  return { topic, group, env, accountId, start };
}

/** The attempts recorded for a message's effect, as (attempt, outcome, resumes). */
async function attemptsOf(messageId: string): Promise<string[]> {
  const { rows } = await runSql<{ attempt: number; outcome: string; resumes: number }>(
    orm.em.fork(),
    `SELECT a.attempt, a.outcome, a.resumes FROM effect_attempts a JOIN effects e ON e.id = a.effect_id
      WHERE e.message_id = $1 ORDER BY a.attempt`,
    [messageId],
  );
  return rows.map((row) => `${row.attempt}:${row.outcome}:${row.resumes}`);
}

async function stopAll() {
  await Promise.all(running.splice(0).map((dispatcher) => dispatcher.stop()));
}

async function eventTypes(messageId: string): Promise<string[]> {
  return (await readStream(orm.em.fork(), messageId)).map((event) => event.type);
}

async function status(messageId: string): Promise<{ status: string; version: number } | undefined> {
  const { rows } = await runSql<{ status: string; version: number }>(
    orm.em.fork(),
    'SELECT status, version FROM messages WHERE id = $1',
    [messageId],
  );
  return rows[0];
}

async function effectsSettled(commands: readonly SeededCommand[]): Promise<boolean> {
  // One statement, one snapshot: with two, an effect created between them was counted as settled.
  const { rows } = await runSql<{ open: string; total: string }>(
    orm.em.fork(),
    `SELECT count(*) FILTER (WHERE state IN ('pending', 'in_flight')) AS open, count(*) AS total
       FROM effects WHERE message_id = ANY($1::text[])`,
    [commands.map((command) => command.messageId)],
  );
  return Number(rows[0]?.open) === 0 && Number(rows[0]?.total) === commands.length;
}

describe('the same command delivered five times', () => {
  it('is sent once, and the four repeats are dropped as duplicates', async () => {
    const { topic, accountId, start } = await setUp();
    const [command] = await seedMessages(orm, accountId, 1);
    if (!command) throw new Error('no command');
    await produceCommands(producer, topic, [command.record, command.record]);
    const { registry } = await start();
    await provider.waitForKeys([command.messageId]);
    await produceCommands(producer, topic, [command.record, command.record, command.record]);
    await eventually(
      'four duplicates dropped',
      async () => (await metricValue(registry, 'dispatcher_duplicates_dropped_total')) === 4,
    );
    await eventually('the effect recorded', () => effectsSettled([command]));

    expect(provider.requests.get(command.messageId)).toBe(1);
    expect(provider.sends.get(command.messageId)).toBe(1);
    expect(provider.keyMismatches).toEqual([]);
    expect(await eventTypes(command.messageId)).toEqual([
      'MessageAccepted',
      'DispatchRequested',
      'ProviderAccepted',
    ]);
    expect(await status(command.messageId)).toEqual({ status: 'sent', version: 3 });
  });
});

describe('consuming the topic again from the earliest offset', () => {
  it('sends nothing new: stored offsets skip what was done, and without them the inbox drops every command', async () => {
    const { topic, group, accountId, start } = await setUp();
    const commands = await seedMessages(orm, accountId, 50);
    await produceCommands(
      producer,
      topic,
      commands.map((command) => command.record),
    );
    await start();
    await provider.waitForKeys(commands.map((command) => command.messageId));
    await eventually('every effect recorded', () => effectsSettled(commands));
    await stopAll();
    const requestsBefore = provider.totalRequests;

    // Kafka's committed offsets reset: PostgreSQL's stored offsets say all 50 are done.
    await admin.resetOffsets({ groupId: group, topic, earliest: true });
    const second = await start();
    await eventually(
      'the 50 records skipped',
      async () => (await metricValue(second.registry, 'dispatcher_records_skipped_total')) === 50,
    );
    await stopAll();

    // A full replay: both offsets reset, every record read and processed again.
    await admin.resetOffsets({ groupId: group, topic, earliest: true });
    await runSql(orm.em.fork(), 'DELETE FROM consumer_offsets WHERE group_id = $1', [group]);
    const third = await start();
    await eventually(
      'the 50 commands dropped by the inbox',
      async () =>
        (await metricValue(third.registry, 'dispatcher_duplicates_dropped_total', { where: 'inbox' })) === 50,
    );

    expect(provider.totalRequests).toBe(requestsBefore);
    for (const command of commands) expect(provider.requests.get(command.messageId)).toBe(1);
    expect(await metricValue(third.registry, 'dispatcher_commands_processed_total')).toBe(0);
  });
});

describe('a stored offset left by another topic of the same name', () => {
  it("does not skip the new topic's records below it: all 150 commands are dispatched", async () => {
    const { topic, group, accountId, start } = await setUp(1);
    // What a topic deleted and created again (or a cluster changed) leaves behind: the group's
    // offset in PostgreSQL from the earlier log, none in Kafka.
    await runSql(
      orm.em.fork(),
      'INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, 0, 100)',
      [group, topic],
    );
    const commands = await seedMessages(orm, accountId, 150);
    await produceCommands(
      producer,
      topic,
      commands.map((command) => command.record),
    );
    const { registry } = await start();
    await eventually(
      'every command processed or skipped',
      async () =>
        (await metricValue(registry, 'dispatcher_commands_processed_total')) +
          (await metricValue(registry, 'dispatcher_records_skipped_total')) >=
        150,
    );
    expect(await metricValue(registry, 'dispatcher_records_skipped_total')).toBe(0);
    expect(await metricValue(registry, 'dispatcher_commands_processed_total')).toBe(150);
    const { rows } = await runSql<{ next_offset: string; topic_id: string | null }>(
      orm.em.fork(),
      'SELECT next_offset, topic_id FROM consumer_offsets WHERE group_id = $1',
      [group],
    );
    expect(rows).toEqual([{ next_offset: '150', topic_id: expect.stringMatching(/^[0-9a-f-]{36}$/) }]);
    // Left pending, these calls would go to the next test's dispatcher and provider.
    await eventually('their effects settled', () => effectsSettled(commands));
  });
});

describe('a commands topic deleted and created again under the same name', () => {
  it("dispatches the new topic's commands although the stored offset of the old one is higher", async () => {
    const { topic, group, accountId, start } = await setUp(1);
    const before = await seedMessages(orm, accountId, 100);
    await produceCommands(
      producer,
      topic,
      before.map((command) => command.record),
    );
    const first = await start();
    await eventually(
      'the old topic processed',
      async () => (await metricValue(first.registry, 'dispatcher_commands_processed_total')) === 100,
    );
    await stopAll();
    const stored = async () =>
      (
        await runSql<{ next_offset: string; topic_id: string }>(
          orm.em.fork(),
          'SELECT next_offset, topic_id FROM consumer_offsets WHERE group_id = $1',
          [group],
        )
      ).rows;
    const [old] = await stored();
    expect(old?.next_offset).toBe('100');

    await admin.deleteTopics({ topics: [topic] });
    await eventually('the topic created again', async () =>
      admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }).catch(() => false),
    );
    const after = await seedMessages(orm, accountId, 150);
    await produceCommands(
      producer,
      topic,
      after.map((command) => command.record),
    );
    const second = await start();
    await eventually(
      'the new topic processed',
      async () =>
        (await metricValue(second.registry, 'dispatcher_commands_processed_total')) +
          (await metricValue(second.registry, 'dispatcher_records_skipped_total')) >=
        150,
    );
    expect(await metricValue(second.registry, 'dispatcher_records_skipped_total')).toBe(0);
    expect(await metricValue(second.registry, 'dispatcher_commands_processed_total')).toBe(150);
    const [now] = await stored();
    expect(now?.next_offset).toBe('150');
    expect(now?.topic_id).not.toBe(old?.topic_id);
    // Left pending, these calls would go to the next test's dispatcher and provider.
    await eventually('their effects settled', () => effectsSettled([...before, ...after]));
  });
});

describe('a provider answering 500 and then recovering', () => {
  it('retries with backoff and the same key, and sends once', async () => {
    const { topic, accountId, start } = await setUp();
    const [command] = await seedMessages(orm, accountId, 1);
    if (!command) throw new Error('no command');
    provider.failNext(3, 500);
    await produceCommands(producer, topic, [command.record]);
    const { registry } = await start();
    await provider.waitForKeys([command.messageId]);
    await eventually('the effect recorded', () => effectsSettled([command]));

    expect(provider.requests.get(command.messageId)).toBe(4);
    expect(provider.sends.get(command.messageId)).toBe(1);
    expect(await eventTypes(command.messageId)).toEqual([
      'MessageAccepted',
      'DispatchRequested',
      ...Array(3).fill(['ProviderCallFailed', 'RetryScheduled']).flat(),
      'ProviderAccepted',
    ]);
    expect(await status(command.messageId)).toEqual({ status: 'sent', version: 9 });
    expect(
      await metricValue(registry, 'dispatcher_effect_outcomes_total', { outcome: 'retry_scheduled' }),
    ).toBe(3);
  });
});

describe('a provider that takes the send and answers only after the timeout (http, keys not honoured)', () => {
  it('sends once and holds the message (outcome unknown) instead of calling again', async () => {
    const { topic, accountId, start } = await setUp(1, { PROVIDER_TIMEOUT: '1s' });
    const [command] = await seedMessages(orm, accountId, 1);
    if (!command) throw new Error('no command');
    provider.stall(3_000);
    await produceCommands(producer, topic, [command.record]);
    const { registry } = await start();
    await eventually('the message held', async () => (await status(command.messageId))?.status === 'held');
    // Long enough for a retry (RETRY_BASE_DELAY is 50 ms) to have gone out.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    expect(provider.requests.get(command.messageId)).toBe(1);
    expect(provider.sends.get(command.messageId)).toBe(1);
    expect(await eventTypes(command.messageId)).toEqual([
      'MessageAccepted',
      'DispatchRequested',
      'MessageHeld',
    ]);
    expect(await attemptsOf(command.messageId)).toEqual(['1:ambiguous:0']);
    expect(await metricValue(registry, 'dispatcher_effect_outcomes_total', { outcome: 'held' })).toBe(1);
  });
});

describe('a provider refusing the send (422)', () => {
  it('fails the message after one call, with a MessageFailed event', async () => {
    const { topic, accountId, start } = await setUp();
    const [command] = await seedMessages(orm, accountId, 1);
    if (!command) throw new Error('no command');
    provider.failNext(1, 422);
    await produceCommands(producer, topic, [command.record]);
    await start();
    await eventually('the effect recorded', () => effectsSettled([command]));

    expect(provider.requests.get(command.messageId)).toBe(1);
    expect(provider.sends.has(command.messageId)).toBe(false);
    expect(await eventTypes(command.messageId)).toEqual([
      'MessageAccepted',
      'DispatchRequested',
      'ProviderCallFailed',
      'MessageFailed',
    ]);
    expect(await status(command.messageId)).toEqual({ status: 'failed', version: 4 });
  });
});

describe('a provider failing every attempt', () => {
  it('gives up after EFFECT_MAX_ATTEMPTS and fails the message', async () => {
    const { topic, accountId, start } = await setUp(1, { EFFECT_MAX_ATTEMPTS: '3' });
    const [command] = await seedMessages(orm, accountId, 1);
    if (!command) throw new Error('no command');
    provider.failNext(100, 503);
    await produceCommands(producer, topic, [command.record]);
    await start();
    await eventually('the effect recorded', () => effectsSettled([command]));

    expect(await attemptsOf(command.messageId)).toEqual(['1:retryable:0', '2:retryable:0', '3:retryable:0']);
    expect(provider.requests.get(command.messageId)).toBe(3);
    const events = await readStream(orm.em.fork(), command.messageId);
    expect(events.map((event) => event.type).slice(-2)).toEqual(['ProviderCallFailed', 'MessageFailed']);
    expect(events.at(-2)?.data).toMatchObject({ attempt: 3, retryable: false });
    expect(events.at(-1)?.data).toMatchObject({ attempts: 3 });
    expect(await status(command.messageId)).toMatchObject({ status: 'failed' });
  });
});

describe('a poison record', () => {
  it('is dead-lettered with its reason, key and headers, and the records behind it are processed', async () => {
    const { topic, accountId, start } = await setUp(1);
    const commands = await seedMessages(orm, accountId, 4);
    const [first, ...rest] = commands;
    if (!first) throw new Error('no command');
    await producer.send({
      topic,
      acks: -1,
      messages: [
        first.record,
        { key: 'poison/1', value: '{not json', headers: { 'x-origin': 'test' } },
        { key: 'poison/2', value: JSON.stringify({ type: 'SendMessage', data: { messageId: 'x' } }) },
        ...rest.map((command) => command.record),
      ],
    });
    const { registry } = await start();
    await provider.waitForKeys(commands.map((command) => command.messageId));
    await eventually('the effects recorded', () => effectsSettled(commands));

    const { rows } = await runSql<{
      code: string;
      kafka_key: string;
      headers: Record<string, string>;
      reason: string;
    }>(
      orm.em.fork(),
      'SELECT code, kafka_key, headers, reason FROM dead_letters WHERE source_topic = $1 ORDER BY source_offset',
      [topic],
    );
    expect(rows.map((row) => [row.code, row.kafka_key])).toEqual([
      ['schema_invalid', 'poison/1'],
      ['schema_invalid', 'poison/2'],
    ]);
    expect(rows[0]?.reason).toMatch(/not JSON/);
    expect(rows[0]?.headers).toEqual({ 'x-origin': 'test' });
    expect(rows[1]?.reason).toMatch(/data\.accountId/);
    const { rows: outbox } = await runSql<{ kafka_key: string; headers: Record<string, string> }>(
      orm.em.fork(),
      'SELECT kafka_key, headers FROM outbox WHERE topic = $1 ORDER BY id',
      [`${topic}-dead-letters`],
    );
    expect(outbox.map((row) => row.kafka_key)).toEqual(['poison/1', 'poison/2']);
    expect(outbox[0]?.headers).toMatchObject({
      'x-origin': 'test',
      'exactly-dead-letter-code': 'schema_invalid',
      'exactly-original-topic': topic,
      'exactly-original-partition': '0',
      'exactly-original-offset': '1',
    });
    expect(await metricValue(registry, 'dispatcher_dead_lettered_total', { code: 'schema_invalid' })).toBe(2);
    for (const command of commands) expect(provider.sends.get(command.messageId)).toBe(1);
  });
});

describe('a command id that arrives again with another payload', () => {
  it('is dead-lettered as a conflict, not dropped, and the first payload is sent once', async () => {
    const { topic, accountId, start } = await setUp(1);
    const [command] = await seedMessages(orm, accountId, 1);
    if (!command) throw new Error('no command');
    const altered = structuredClone(command.command);
    altered.data.message = { ...altered.data.message, to: 'someone.else@example.com' };
    await produceCommands(producer, topic, [command.record]);
    await start();
    await provider.waitForKeys([command.messageId]);
    await produceCommands(producer, topic, [{ ...command.record, value: JSON.stringify(altered) }]);
    await eventually('the conflict dead-lettered', async () => {
      const { rows } = await runSql(orm.em.fork(), 'SELECT 1 FROM dead_letters WHERE message_id = $1', [
        command.messageId,
      ]);
      return rows.length === 1;
    });
    const { rows } = await runSql<{ code: string }>(
      orm.em.fork(),
      'SELECT code FROM dead_letters WHERE message_id = $1',
      [command.messageId],
    );
    expect(rows).toEqual([{ code: 'payload_conflict' }]);
    expect(provider.requests.get(command.messageId)).toBe(1);
  });
});

describe('a command whose message was never accepted', () => {
  it('is dead-lettered and never sent, whether the message is missing or belongs to another account', async () => {
    const { topic, accountId, start } = await setUp(1);
    const otherAccount = await seedAccount(orm);
    const [real] = await seedMessages(orm, accountId, 1);
    if (!real) throw new Error('no command');
    const requestsBefore = provider.totalRequests;
    const missing = structuredClone(real.command);
    missing.data.messageId = 'msg_never_accepted';
    const foreign = structuredClone(real.command);
    foreign.data.accountId = otherAccount;
    await produceCommands(producer, topic, [
      { ...real.record, value: JSON.stringify(missing) },
      { ...real.record, value: JSON.stringify(foreign) },
    ]);
    const { registry } = await start();
    await eventually(
      'both dead-lettered',
      async () =>
        (await metricValue(registry, 'dispatcher_dead_lettered_total', { code: 'command_not_accepted' })) ===
        2,
    );
    expect(provider.totalRequests).toBe(requestsBefore);
    expect(await status(real.messageId)).toEqual({ status: 'accepted', version: 1 });

    // The foreign copy did not take the real command's id: the real one is still sent.
    await produceCommands(producer, topic, [real.record]);
    await provider.waitForKeys([real.messageId]);
    expect(provider.requests.get(real.messageId)).toBe(1);
  });
});

describe('a command whose inbox record has expired, delivered again', () => {
  it('is dead-lettered as beyond the deduplication horizon and never sent again', async () => {
    const { topic, group, accountId, start } = await setUp(1);
    const [command] = await seedMessages(orm, accountId, 1);
    if (!command) throw new Error('no command');
    await produceCommands(producer, topic, [command.record]);
    await start();
    await provider.waitForKeys([command.messageId]);
    await eventually('the effect recorded', () => effectsSettled([command]));
    await stopAll();

    await runSql(orm.em.fork(), 'DELETE FROM inbox WHERE message_id = $1', [command.messageId]);
    await admin.resetOffsets({ groupId: group, topic, earliest: true });
    await runSql(orm.em.fork(), 'DELETE FROM consumer_offsets WHERE group_id = $1', [group]);
    const { registry } = await start();
    await eventually(
      'the replay refused',
      async () =>
        (await metricValue(registry, 'dispatcher_dead_lettered_total', { code: 'replay_beyond_horizon' })) ===
        1,
    );
    expect(provider.requests.get(command.messageId)).toBe(1);
    expect(await eventTypes(command.messageId)).toEqual([
      'MessageAccepted',
      'DispatchRequested',
      'ProviderAccepted',
    ]);
  });
});

describe('a record whose processing fails the same way on every try', () => {
  it('is isolated and dead-lettered, and the records around it are processed', async () => {
    const { topic, accountId, start } = await setUp(1);
    const commands = await seedMessages(orm, accountId, 2);
    const [before, after] = commands;
    if (!before || !after) throw new Error('no command');
    // An id too large for a b-tree index entry: storing its dead letter under that id fails (54000).
    const oversized = structuredClone(before.command);
    oversized.data.messageId = `msg_${randomBytes(3_000).toString('base64')}`;
    await produceCommands(producer, topic, [
      before.record,
      { ...before.record, value: JSON.stringify(oversized) },
      after.record,
    ]);
    const { registry } = await start();
    await provider.waitForKeys([before.messageId, after.messageId]);
    await eventually(
      'the record set aside',
      async () =>
        (await metricValue(registry, 'dispatcher_dead_lettered_total', { code: 'processing_failed' })) === 1,
    );
    const { rows } = await runSql<{ source_offset: string; reason: string }>(
      orm.em.fork(),
      'SELECT source_offset, reason FROM dead_letters WHERE source_topic = $1',
      [topic],
    );
    expect(rows).toEqual([{ source_offset: '1', reason: expect.stringMatching(/index row/) }]);
  });
});

describe('the message projection', () => {
  it('rebuilt from the events equals the live one, and a tampered row is found and repaired', async () => {
    const { topic, accountId, start } = await setUp();
    const commands = await seedMessages(orm, accountId, 30);
    provider.failNext(5, 500);
    await produceCommands(
      producer,
      topic,
      commands.map((command) => command.record),
    );
    await start();
    await provider.waitForKeys(commands.map((command) => command.messageId));
    await eventually('every effect recorded', () => effectsSettled(commands));

    const comparison = await compareMessageProjections(orm.em.fork(), { accountId, pageSize: 7 });
    expect(comparison).toEqual({ checked: 30, mismatches: [] });

    const [tampered] = commands;
    if (!tampered) throw new Error('no command');
    await runSql(orm.em.fork(), "UPDATE messages SET status = 'accepted' WHERE id = $1", [
      tampered.messageId,
    ]);
    const found = await compareMessageProjections(orm.em.fork(), { accountId });
    expect(found.mismatches).toEqual([
      expect.objectContaining({ id: tampered.messageId, fields: ['status'] }),
    ]);
    const repair = await rebuildMessageProjections(orm.em.fork(), { accountId });
    expect(repair.repaired).toEqual([tampered.messageId]);
    expect((await compareMessageProjections(orm.em.fork(), { accountId })).mismatches).toEqual([]);
  });
});

describe('replay safety at start', () => {
  it('refuses to run when the inbox would forget commands the topic can still deliver', async () => {
    const { env } = await setUp(1, { INBOX_RETENTION: '1d' });
    await expect(startTestDispatcher(orm, env)).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringMatching(/INBOX_RETENTION is 86400000 ms .* can arrive again for/),
    });
  });
});
