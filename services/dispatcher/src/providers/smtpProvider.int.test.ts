import { randomUUID } from 'node:crypto';
import { readStream } from '@exactly/message-store';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { eventually, metricValue } from '@exactly/testkit';
import smtpServer from 'smtp-server';
import { effectIdFor } from '../decide/decideCommand.js';
import { emailTo, produceCommands, seedAccount, seedMessages } from '../testing/seedCommands.js';
import {
  databaseUrl,
  dispatcherTestKafka,
  type RunningDispatcher,
  startTestDispatcher,
  testEnvironment,
} from '../testing/testDispatcher.js';
import { smtpMessageId } from './smtpProvider.js';

const { SMTPServer } = smtpServer;
const domain = 'test.exactly';

/** A local SMTP sink that keeps every mail's Message-ID and refuses one recipient with 550. */
function startSink(): Promise<{ port: number; messageIds: string[]; close: () => Promise<void> }> {
  const messageIds: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address === 'reject@example.com') {
        callback(Object.assign(new Error('no such mailbox'), { responseCode: 550 }));
      } else {
        callback();
      }
    },
    onData(stream, _session, callback) {
      let text = '';
      stream.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      stream.on('end', () => {
        messageIds.push(/^Message-ID:\s*(\S+)/im.exec(text)?.[1] ?? '');
        callback();
      });
    },
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : 0,
        messageIds,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

describe('the smtp provider', () => {
  const { producer, topicForThisTest } = dispatcherTestKafka();
  let orm: Orm;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let dispatcher: RunningDispatcher | undefined;

  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 8 });
    sink = await startSink();
  });

  afterEach(async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
  });

  afterAll(async () => {
    await sink.close();
    await orm.close();
  });

  async function setUp(extra: Record<string, string> = {}) {
    const { topic, group } = await topicForThisTest(2);
    const env = testEnvironment(topic, group, {
      PROVIDER_EMAIL: 'smtp',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(sink.port),
      SMTP_MESSAGE_ID_DOMAIN: domain,
      PROVIDER_TIMEOUT: '2s',
      EFFECT_LEASE: '3s',
      ...extra,
    });
    return { topic, env, accountId: await seedAccount(orm) };
  }

  /** A command whose process died while its SMTP send was under way: attempt 1 in flight, its call started, its lease over. */
  async function crashedDuringTheCall(topic: string, accountId: string) {
    const [command] = await seedMessages(orm, accountId, 1);
    if (!command) throw new Error('no command');
    // The state a crash between claiming and recording leaves: dispatched, attempt 1 in flight,
    // its lease over.
    await orm.em.fork().transactional(async (em) => {
      await runSql(
        em,
        `INSERT INTO inbox (message_id, fingerprint, topic, partition, "offset") VALUES ($1, $2, $3, 0, 0)`,
        [command.messageId, Buffer.alloc(32), topic],
      );
      await runSql(
        em,
        `INSERT INTO message_events (stream_id, version, type, data) VALUES ($1, 2, 'DispatchRequested', $2)`,
        [command.messageId, JSON.stringify({ provider: 'smtp', effectId: effectIdFor(command.messageId) })],
      );
      await runSql(em, "UPDATE messages SET status = 'dispatching', version = 2 WHERE id = $1", [
        command.messageId,
      ]);
      await runSql(
        em,
        `INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, max_attempts,
                              state, attempt, due_at, claim_token, attempt_started_at, call_started_at)
         VALUES ($1, $2, $3, 'email', 'smtp', $2, $4, 5, 'in_flight', 1, now() - interval '1 second', $5,
                 now() - interval '4 seconds', now() - interval '4 seconds')`,
        [
          effectIdFor(command.messageId),
          command.messageId,
          accountId,
          JSON.stringify(command.command.data.message),
          randomUUID(),
        ],
      );
    });
    return command;
  }

  it('delivers each mail once with a Message-ID derived from the message id, and fails a refused one', async () => {
    const { topic, env, accountId } = await setUp();
    const commands = await seedMessages(orm, accountId, 6, (index) =>
      index === 5 ? { ...emailTo(index), to: 'reject@example.com' } : emailTo(index),
    );
    await produceCommands(
      producer,
      topic,
      commands.map((command) => command.record),
    );
    dispatcher = await startTestDispatcher(orm, env);
    const expected = commands.slice(0, 5).map((command) => smtpMessageId(command.messageId, domain));
    await eventually('five mails', async () => expected.every((id) => sink.messageIds.includes(id)));
    const refused = commands[5];
    if (!refused) throw new Error('no command');
    await eventually('the refused mail failed', async () => {
      const events = await readStream(orm.em.fork(), refused.messageId);
      return events.at(-1)?.type === 'MessageFailed';
    });

    for (const id of expected) expect(sink.messageIds.filter((seen) => seen === id)).toHaveLength(1);
    const failed = await readStream(orm.em.fork(), refused.messageId);
    expect(failed.at(-2)?.data).toMatchObject({
      provider: 'smtp',
      retryable: false,
      error: expect.stringMatching(/550/),
    });
  });

  it('counts an attempt a crash left in flight as a possible repeat send when it resumes it', async () => {
    // Sending again after a crash is what SMTP_ON_AMBIGUOUS=retry asks for (the default holds).
    const { topic, env, accountId } = await setUp({ SMTP_ON_AMBIGUOUS: 'retry' });
    const command = await crashedDuringTheCall(topic, accountId);
    dispatcher = await startTestDispatcher(orm, env);
    const messageId = smtpMessageId(command.messageId, domain);
    await eventually('the resumed mail', async () => sink.messageIds.includes(messageId));
    await eventually(
      'its outcome recorded',
      async () => (await readStream(orm.em.fork(), command.messageId)).at(-1)?.type === 'ProviderAccepted',
    );

    expect(await metricValue(dispatcher.registry, 'dispatcher_smtp_possible_repeat_sends_total')).toBe(1);
    const { rows } = await runSql<{ attempt: number; resumes: number }>(
      orm.em.fork(),
      'SELECT attempt, resumes FROM effect_attempts WHERE effect_id = $1',
      [effectIdFor(command.messageId)],
    );
    expect(rows).toEqual([{ attempt: 1, resumes: 1 }]);
  });

  it('holds a message whose send was under way at a crash, by default: no second mail, MessageHeld', async () => {
    const { topic, env, accountId } = await setUp();
    const command = await crashedDuringTheCall(topic, accountId);
    dispatcher = await startTestDispatcher(orm, env);
    await eventually(
      'the message held',
      async () => (await readStream(orm.em.fork(), command.messageId)).at(-1)?.type === 'MessageHeld',
    );
    expect(sink.messageIds).not.toContain(smtpMessageId(command.messageId, domain));
    const { rows } = await runSql<{ status: string }>(
      orm.em.fork(),
      'SELECT status FROM messages WHERE id = $1',
      [command.messageId],
    );
    expect(rows).toEqual([{ status: 'held' }]);
    expect(await metricValue(dispatcher.registry, 'dispatcher_smtp_possible_repeat_sends_total')).toBe(0);
  });
});
