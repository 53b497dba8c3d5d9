import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seedMessage } from '@exactly/operations/testing';
import { newId, runSql } from '@exactly/persistence';
import { eventually, metricValue } from '@exactly/testkit';
import { type Caller, type RunningDispatcher, TestPipeline } from '../testing/pipeline.js';

// The commands that drive the pipeline, against an ingest API, a relay and dispatchers running as
// real processes on Kafka and PostgreSQL. Each test has its own account and consumer group; the
// topics are the file's (one relay serves them).

const pipeline = new TestPipeline();
let files: string;

beforeAll(async () => {
  files = await mkdtemp(join(tmpdir(), 'exactly-cli-'));
  await pipeline.start();
}, 60_000);

afterAll(async () => {
  await pipeline.stop();
  await rm(files, { recursive: true, force: true });
}, 60_000);

const sms = (text: string) => ({ channel: 'sms', to: '+15551234567', from: 'Acme', text });

async function sendLoad(caller: Caller, count: number) {
  const sent = await pipeline.exactly([
    'send',
    ...['--channel', 'sms', '--to', '+1555100{i}', '--from', 'Acme', '--text', 'load {i}'],
    ...['--count', String(count), '--api-key', caller.apiKey, '--json'],
  ]);
  expect(sent).toMatchObject({ code: 0, json: { accepted: count, failed: 0 } });
  return (sent.json.messages as { messageId: string }[]).map((message) => message.messageId);
}

async function allSent(ids: readonly string[]) {
  await eventually(
    `${ids.length} messages sent`,
    async () =>
      (await pipeline.count("SELECT count(*) FROM messages WHERE id = ANY($1) AND status = 'sent'", [
        ids,
      ])) === ids.length,
  );
}

/** Until the group has processed everything on the commands topic (its stored offsets reach the ends). */
async function caughtUp(group: string) {
  await eventually(`group ${group} caught up`, async () => {
    const [ends, stored, committed] = await Promise.all([
      pipeline.ends(),
      pipeline.stored(group),
      pipeline.committed(group),
    ]);
    return Object.entries(ends).every(
      ([partition, end]) =>
        end === 0 || (stored[Number(partition)] === end && committed[Number(partition)] === end),
    );
  });
}

describe('exactly send', () => {
  it('sends one command from flags with an idempotency key; the same key again is a replay', async () => {
    const caller = await pipeline.caller();
    const flags = ['--channel', 'sms', '--to', '+15551230001', '--from', 'Acme', '--text', 'hi'];
    const key = ['--idempotency-key', `order-${newId('k')}`, '--api-key', caller.apiKey];
    const first = await pipeline.exactly(['send', ...flags, ...key, '--json']);
    expect(first).toMatchObject({
      code: 0,
      json: {
        messageId: expect.stringMatching(/^msg_/),
        status: 'accepted',
        replayed: false,
        httpStatus: 202,
      },
    });
    const again = await pipeline.exactly(['send', ...flags, ...key]);
    expect(again.stdout).toBe(`replayed: ${first.json.messageId} (accepted), idempotency key ${key[1]}\n`);

    const otherBody = await pipeline.exactly(['send', ...flags.slice(0, -1), 'bye', ...key]);
    expect(otherBody.code).toBe(2);
    expect(otherBody.stderr).toMatch(/422 idempotency_key_reused/);
  });

  it('sends a JSON or NDJSON file; sending the same file again replays every command', async () => {
    const caller = await pipeline.caller();
    const file = join(files, 'orders.ndjson');
    await writeFile(
      file,
      [
        JSON.stringify(sms('one')),
        JSON.stringify({ idempotencyKey: `mine-${newId('k')}`, message: sms('two') }),
        JSON.stringify({ ...sms('three'), channel: 'sms' }),
      ].join('\n'),
    );
    const first = await pipeline.exactly(['send', '--file', file, '--api-key', caller.apiKey, '--json']);
    expect(first).toMatchObject({ code: 0, json: { total: 3, accepted: 3, replayed: 0, failed: 0 } });
    const again = await pipeline.exactly(['send', '--file', file, '--api-key', caller.apiKey, '--json']);
    expect(again).toMatchObject({ code: 0, json: { total: 3, accepted: 0, replayed: 3 } });
    expect(again.json.messages.map((m: { messageId: string }) => m.messageId)).toEqual(
      first.json.messages.map((m: { messageId: string }) => m.messageId),
    );
  });

  it('runs a load with --count and --rate and summarizes accepted, replayed, failed and latency', async () => {
    const caller = await pipeline.caller();
    const prefix = `load-${newId('p')}`;
    const args = [
      'send',
      ...['--channel', 'email', '--to', 'user{i}@example.com', '--from', 'shop@example.com'],
      ...['--subject', 'Order {i}', '--text', 'Shipped', '--count', '20', '--rate', '200'],
      ...['--key-prefix', prefix, '--api-key', caller.apiKey],
    ];
    const first = await pipeline.exactly([...args, '--json']);
    expect(first).toMatchObject({
      code: 0,
      json: { total: 20, accepted: 20, replayed: 0, failed: 0, errors: {}, keyPrefix: prefix },
    });
    expect(first.json.latencyMs.p50).toBeGreaterThan(0);
    expect(first.json.latencyMs.p99).toBeGreaterThanOrEqual(first.json.latencyMs.p50);
    // 20 starts at 200/s take at least 95 ms.
    expect(first.json.durationMs).toBeGreaterThanOrEqual(95);
    expect(first.stderr).toMatch(/^send: \d+\/20/m);
    const recipients = await pipeline.count(
      'SELECT count(DISTINCT recipient) FROM messages WHERE account_id = $1',
      [caller.accountId],
    );
    expect(recipients).toBe(20);

    const again = await pipeline.exactly(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/sent 20 commands in .*: 0 accepted, 20 replayed, 0 failed/);
    expect(again.stdout).toMatch(/latency ms: p50 [\d.]+ {2}p90 [\d.]+ {2}p99 [\d.]+ {2}max [\d.]+/);
  });

  it('refuses an invalid command or a missing API key before sending anything, saying what to fix', async () => {
    const invalid = await pipeline.exactly([
      'send',
      ...['--channel', 'sms', '--to', 'nobody', '--from', 'Acme', '--text', 'x', '--api-key', 'ex_unused'],
    ]);
    expect(invalid).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/nothing was sent.*\n.*to: must be an E\.164/s),
    });
    const keyless = await pipeline.exactly(
      ['send', '--channel', 'sms', '--to', '+15551234567', '--from', 'A', '--text', 'x'],
      {
        EXACTLY_API_KEY: '',
      },
    );
    expect(keyless).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/set EXACTLY_API_KEY or pass --api-key/),
    });
    const refused = await pipeline.exactly([
      'send',
      ...['--channel', 'sms', '--to', '+15551234567'],
      '--from',
      'A',
      '--text',
      'x',
      '--api-key',
      'ex_wrong',
    ]);
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringMatching(/refused the API key/) });
  });
});

describe('exactly status', () => {
  let dispatcher: RunningDispatcher;
  beforeAll(async () => {
    dispatcher = await pipeline.startDispatcher();
  });
  afterAll(async () => {
    await dispatcher.stop();
  });

  it('shows the status and the event timeline, and --wait waits until it is sent', async () => {
    const caller = await pipeline.caller();
    const [id] = await sendLoad(caller, 1);
    const waited = await pipeline.exactly([
      'status',
      id ?? '',
      '--wait',
      '--api-key',
      caller.apiKey,
      '--json',
    ]);
    expect(waited).toMatchObject({ code: 0, json: { id, status: 'sent' } });
    expect(waited.json.events.map((event: { type: string }) => event.type)).toEqual([
      'MessageAccepted',
      'DispatchRequested',
      'ProviderAccepted',
    ]);
    const text = await pipeline.exactly(['status', id ?? '', '--api-key', caller.apiKey]);
    expect(text.stdout).toMatch(new RegExp(`^${id}  sent  sms Acme → \\+15551000`));
    expect(text.stdout).toMatch(/\n\S+Z\s+DispatchRequested\s+.*provider=http/);
  });

  it('answers exit 4 for a message of another account or none', async () => {
    const caller = await pipeline.caller();
    const stranger = await pipeline.caller();
    const [id] = await sendLoad(caller, 1);
    const other = await pipeline.exactly(['status', id ?? '', '--api-key', stranger.apiKey]);
    expect(other).toMatchObject({
      code: 4,
      stderr: expect.stringMatching(/not found for this API key’s account/),
    });
  });
});

describe('exactly await', () => {
  let dispatcher: RunningDispatcher;
  beforeAll(async () => {
    dispatcher = await pipeline.startDispatcher();
  });
  afterAll(async () => {
    await dispatcher.stop();
  });

  it('waits on the API until the key’s message is sent, and says so', async () => {
    const caller = await pipeline.caller();
    const key = `await-${newId('k')}`;
    const flags = ['--channel', 'sms', '--to', '+15551230002', '--from', 'Acme', '--text', 'hi'];
    const sent = await pipeline.exactly([
      'send',
      ...flags,
      '--idempotency-key',
      key,
      '--api-key',
      caller.apiKey,
    ]);
    expect(sent.code).toBe(0);
    const waited = await pipeline.exactly([
      'await',
      key,
      '--timeout',
      '45s',
      '--api-key',
      caller.apiKey,
      '--json',
    ]);
    expect(waited).toMatchObject({
      code: 0,
      json: { key, state: 'completed', done: true, messages: [{ status: 'sent' }] },
    });
    const text = await pipeline.exactly(['await', key, '--api-key', caller.apiKey]);
    expect(text.stdout).toMatch(new RegExp(`^${key}  done\\n  msg_\\w+  sent\\n$`));
  });

  it('answers exit 4 for a key the account never used', async () => {
    const caller = await pipeline.caller();
    const unknown = await pipeline.exactly(['await', 'never-used', '--api-key', caller.apiKey]);
    expect(unknown).toMatchObject({
      code: 4,
      stderr: expect.stringMatching(/no idempotency key never-used/),
    });
  });
});

describe('exactly groups', () => {
  it('shows the members, their partitions and the lag of each partition', async () => {
    const caller = await pipeline.caller();
    const dispatcher = await pipeline.startDispatcher();
    try {
      await allSent(await sendLoad(caller, 6));
      await caughtUp(dispatcher.group);
      const shown = await pipeline.exactly(['groups', dispatcher.group, '--topic', pipeline.topic, '--json']);
      expect(shown.code).toBe(0);
      const [report] = shown.json;
      expect(report).toMatchObject({ groupId: dispatcher.group, state: 'Stable' });
      expect(report.members).toHaveLength(1);
      expect(report.members[0].assignment).toEqual({ [pipeline.topic]: [0, 1, 2] });
      const ends = await pipeline.ends();
      expect(report.topics).toEqual([
        {
          topic: pipeline.topic,
          lag: 0,
          partitions: [0, 1, 2].map((partition) => ({
            partition,
            memberId: report.members[0].memberId,
            committed: ends[partition],
            stored: ends[partition],
            low: 0,
            high: ends[partition],
            lag: 0,
          })),
        },
      ]);
      const text = await pipeline.exactly(['groups', dispatcher.group]);
      expect(text.stdout).toMatch(new RegExp(`group ${dispatcher.group}  state Stable  members 1`));
      expect(text.stdout).toMatch(/PARTITION\s+MEMBER\s+COMMITTED\s+STORED\s+END\s+LAG/);
    } finally {
      await dispatcher.stop();
    }
  });

  it('says which topic does not exist', async () => {
    expect(await pipeline.exactly(['groups', '--topic', 'no-such-topic-here'])).toMatchObject({
      code: 4,
      stderr: 'exactly: topic no-such-topic-here does not exist\n',
    });
  });
});

describe('exactly replay', () => {
  let caller: Caller;
  let group: string;
  let dispatcher: RunningDispatcher | undefined;
  let ids: string[];

  const running = async () => {
    dispatcher ??= await pipeline.startDispatcher(group);
    return dispatcher;
  };
  const stopped = async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
  };

  beforeAll(async () => {
    caller = await pipeline.caller();
    group = `cli-test-replay-${newId('g')}`;
    await running();
    ids = await sendLoad(caller, 12);
    await allSent(ids);
    await caughtUp(group);
  });

  afterAll(stopped);

  it('refuses while the group has live members, and moves nothing', async () => {
    await running();
    const before = await pipeline.committed(group);
    const refused = await pipeline.exactly(['replay', '--group', group, '--to-earliest']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/replay refused: group .* has 1 live member\(s\).*stop them first/);
    expect(await pipeline.committed(group)).toEqual(before);
  });

  it('still plans a dry run while the group has live members, saying what the real run needs', async () => {
    await running();
    const before = await pipeline.committed(group);
    const dry = await pipeline.exactly(['replay', '--group', group, '--to-earliest', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/the real run needs first: stop group .*'s 1 live member\(s\)/);
    expect(dry.stdout).toContain('dry run: nothing changed');
    expect(await pipeline.committed(group)).toEqual(before);
  });

  it('prints the plan on a dry run and changes nothing in Kafka or PostgreSQL', async () => {
    await stopped();
    const [ends, committed, stored] = await Promise.all([
      pipeline.ends(),
      pipeline.committed(group),
      pipeline.stored(group),
    ]);
    const dry = await pipeline.exactly(['replay', '--group', group, '--to-earliest', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(dry.json).toMatchObject({
      dryRun: true,
      topic: pipeline.topic,
      group,
      records: Object.values(ends).reduce((sum, end) => sum + end, 0),
      partitions: [0, 1, 2].map((partition) => ({
        partition,
        from: ends[partition],
        to: 0,
        records: ends[partition],
      })),
      horizon: { at: expect.any(String), retentionMs: 30 * 86_400_000, relayMaxLagMs: 86_400_000 },
    });
    const text = await pipeline.exactly(['replay', '--group', group, '--to-earliest', '--dry-run']);
    expect(text.stdout).toMatch(/PARTITION\s+FROM\s+→ TO\s+RECORDS\n\s+0\s+\d+\s+→ 0\s+\d+/);
    expect(text.stdout).toMatch(/dry run: nothing changed\n$/);
    expect(await pipeline.committed(group)).toEqual(committed);
    expect(await pipeline.stored(group)).toEqual(stored);
  });

  it('replays from earliest: both stores move back, and the group re-reads everything and sends nothing twice', async () => {
    await stopped();
    const callsBefore = pipeline.provider.calls.length;
    const ends = await pipeline.ends();
    const records = Object.values(ends).reduce((sum, end) => sum + end, 0);
    const replayed = await pipeline.exactly(['replay', '--group', group, '--to-earliest', '--json']);
    expect(replayed).toMatchObject({ code: 0, json: { applied: true, records } });
    expect(await pipeline.committed(group)).toEqual({ 0: 0, 1: 0, 2: 0 });
    expect(await pipeline.stored(group)).toEqual({ 0: 0, 1: 0, 2: 0 });

    const again = await running();
    await caughtUp(group);
    // Every record was read again and each met its inbox row: no command ran, no provider call.
    expect(await metricValue(again.url, 'dispatcher_commands_processed_total')).toBe(0);
    expect(
      await metricValue(again.url, 'dispatcher_duplicates_dropped_total', { where: 'inbox' }),
    ).toBeGreaterThanOrEqual(ids.length);
    await sleep(500);
    expect(pipeline.provider.calls.length).toBe(callsBefore);
    expect(pipeline.callsFor(ids)).toEqual(ids.map(() => 1));
    expect(
      await pipeline.count(
        "SELECT count(*) FROM message_events WHERE stream_id = ANY($1) AND type = 'DispatchRequested'",
        [ids],
      ),
    ).toBe(ids.length);
  });

  it('replays into a fresh group, leaving the group alone; a group with offsets is not fresh', async () => {
    const copy = `cli-test-copy-${newId('g')}`;
    const before = await pipeline.committed(group);
    const replayed = await pipeline.exactly([
      'replay',
      '--group',
      group,
      '--into-group',
      copy,
      '--to-earliest',
      '--json',
    ]);
    expect(replayed).toMatchObject({ code: 0, json: { applied: true, group: copy, sourceGroup: group } });
    expect(await pipeline.committed(copy)).toEqual({ 0: 0, 1: 0, 2: 0 });
    expect(await pipeline.stored(copy)).toEqual({ 0: 0, 1: 0, 2: 0 });
    expect(await pipeline.committed(group)).toEqual(before);

    const refused = await pipeline.exactly([
      'replay',
      '--group',
      group,
      '--into-group',
      copy,
      '--to-earliest',
      '--json',
    ]);
    expect(refused).toMatchObject({ code: 3, json: { kind: 'refused', reason: 'group_not_fresh' } });
    await pipeline.admin.deleteGroups([copy]);
  });

  it('needs exactly one start point', async () => {
    const none = await pipeline.exactly(['replay', '--group', group]);
    expect(none).toMatchObject({ code: 2, stderr: expect.stringMatching(/exactly one of --to-earliest/) });
    const badOffsets = await pipeline.exactly(['replay', '--group', group, '--to-offsets', 'zero']);
    expect(badOffsets.code).toBe(2);
  });
});

describe('exactly replay --reprocess-events and projections rebuild', () => {
  it('find a read model that drifted from its events and rebuild it from the message-events topic', async () => {
    const caller = await pipeline.caller();
    const dispatcher = await pipeline.startDispatcher();
    const ids = await sendLoad(caller, 2);
    await allSent(ids);
    await dispatcher.stop();
    // Every event is published (the outbox of the events topic is empty).
    await eventually(
      'events published',
      async () =>
        (await pipeline.count('SELECT count(*) FROM outbox WHERE topic = $1 AND published_at IS NULL', [
          pipeline.eventsTopic,
        ])) === 0,
    );
    const [broken] = ids;
    await runSql(
      pipeline.orm.em.fork(),
      "UPDATE messages SET status = 'accepted', version = 1 WHERE id = $1",
      [broken],
    );

    const check = await pipeline.exactly(['projections', 'rebuild', '--account', caller.accountId, '--json']);
    expect(check).toMatchObject({
      code: 7,
      json: { checked: 2, equal: false, mismatches: [{ id: broken, fields: ['status', 'version'] }] },
    });

    const dry = await pipeline.exactly([
      'replay',
      '--reprocess-events',
      '--to-earliest',
      '--dry-run',
      '--json',
    ]);
    expect(dry).toMatchObject({
      code: 0,
      json: { dryRun: true, read: 0, applied: 0, topic: pipeline.eventsTopic },
    });
    expect(dry.json.records).toBeGreaterThanOrEqual(6);

    const rebuilt = await pipeline.exactly(['replay', '--reprocess-events', '--to-earliest', '--json']);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.json).toMatchObject({ dryRun: false, applied: 2, rowsChanged: 1, gaps: 0, invalid: 0 });
    expect(rebuilt.json.read).toBe(rebuilt.json.records);
    const { rows } = await runSql(
      pipeline.orm.em.fork(),
      'SELECT status, version FROM messages WHERE id = $1',
      [broken],
    );
    expect(rows).toEqual([{ status: 'sent', version: 3 }]);
    expect(await pipeline.exactly(['projections', 'rebuild', '--account', caller.accountId])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/checked 2 message\(s\): the read model equals the projection rebuilt/),
    });

    const again = await pipeline.exactly(['replay', '--reprocess-events', '--to-earliest', '--json']);
    expect(again.json).toMatchObject({ applied: 0, rowsChanged: 0 });
  });
});

describe('exactly outbox', () => {
  it('shows the backlog per topic and its age while the relay is paused, and empty once it publishes', async () => {
    const caller = await pipeline.caller();
    pipeline.relay.pause();
    try {
      await sendLoad(caller, 3);
      await sleep(200);
      const paused = await pipeline.exactly(['outbox', '--json']);
      expect(paused.code).toBe(0);
      const commands = paused.json.topics.find((topic: { topic: string }) => topic.topic === pipeline.topic);
      expect(commands).toMatchObject({ rows: 3, oldestCreatedAt: expect.any(String) });
      expect(commands.oldestAgeMs).toBeGreaterThanOrEqual(150);
      expect(paused.json.backlog.rows).toBeGreaterThanOrEqual(3);
      const text = await pipeline.exactly(['outbox']);
      expect(text.stdout).toMatch(/^backlog: \d+ row\(s\), the oldest waiting [\d.]+ (ms|s)/);
      expect(text.stdout).toMatch(new RegExp(`${pipeline.topic}\\s+3\\s+`));
    } finally {
      pipeline.relay.resume();
    }
    await eventually('the backlog published', async () => {
      const { json } = await pipeline.exactly(['outbox', '--json']);
      return !json.topics.some((topic: { topic: string }) => topic.topic === pipeline.topic);
    });
  });
});

describe('exactly dlq', () => {
  it('lists a dead letter, and redrives it after the fix exactly once', async () => {
    const caller = await pipeline.caller();
    const dispatcher = await pipeline.startDispatcher();
    try {
      // A command for a message that was never accepted: the dispatcher dead-letters it.
      const messageId = newId('msg');
      const message = { channel: 'sms' as const, to: '+15559876543', from: 'Acme', text: 'restored' };
      await pipeline.produceCommand(caller.accountId, messageId, message);
      let letter: { id: number; code: string; messageId: string; redrivenAt: string | null } | undefined;
      await eventually('the dead letter', async () => {
        const { json } = await pipeline.exactly([
          'dlq',
          'list',
          '--topic',
          pipeline.topic,
          '--code',
          'command_not_accepted',
          '--json',
        ]);
        letter = json.find((entry: { messageId: string }) => entry.messageId === messageId);
        return letter !== undefined;
      });
      expect(letter).toMatchObject({ code: 'command_not_accepted', redrivenAt: null });
      const listed = await pipeline.exactly(['dlq', 'list', '--pending']);
      expect(listed.stdout).toMatch(new RegExp(`${letter?.id}\\s+command_not_accepted\\s+${messageId}`));

      // The fix: the message is restored (its row and first event), as if from a backup.
      await seedMessage(pipeline.orm, {
        accountId: caller.accountId,
        messageId,
        messageKey: 'restored',
        to: message.to,
        content: message,
      });

      const id = String(letter?.id);
      const first = await pipeline.exactly(['dlq', 'redrive', id, '--json']);
      expect(first).toMatchObject({
        code: 0,
        json: [{ id: letter?.id, outcome: 'redriven', topic: pipeline.topic }],
      });
      const second = await pipeline.exactly(['dlq', 'redrive', id]);
      expect(second).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(/^0 redriven, 1 already redriven before \(sent nothing\)/),
      });
      const all = await pipeline.exactly([
        'dlq',
        'redrive',
        '--all',
        '--topic',
        pipeline.topic,
        '--code',
        'command_not_accepted',
        '--json',
      ]);
      expect(all.json.filter((outcome: { id: number }) => outcome.id === letter?.id)).toEqual([]);

      await eventually(
        'the redriven command sent',
        async () =>
          (await pipeline.count("SELECT count(*) FROM messages WHERE id = $1 AND status = 'sent'", [
            messageId,
          ])) === 1,
      );
      await sleep(500);
      expect(pipeline.callsFor([messageId])).toEqual([1]);
      expect(
        await pipeline.count('SELECT count(*) FROM dead_letters WHERE message_id = $1', [messageId]),
      ).toBe(1);
      expect(
        await pipeline.count('SELECT count(*) FROM dead_letter_redrives WHERE dead_letter_id = $1', [id]),
      ).toBe(1);
      const after = await pipeline.exactly(['dlq', 'list', '--topic', pipeline.topic, '--json']);
      expect(after.json.find((entry: { id: number }) => entry.id === letter?.id)).toMatchObject({
        redrivenAt: expect.any(String),
      });
    } finally {
      await dispatcher.stop();
    }
  });

  it('needs ids or --all, and reports unknown ids with exit 4', async () => {
    expect((await pipeline.exactly(['dlq', 'redrive'])).code).toBe(2);
    expect(await pipeline.exactly(['dlq', 'redrive', '987654321', '--json'])).toMatchObject({
      code: 4,
      json: [{ id: 987654321, outcome: 'not_found' }],
    });
  });
});
