import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { appendToStreams } from '@exactly/message-store';
import { newId, openOrm, runSql } from '@exactly/persistence';
import { exactly, exactlyProcess } from './testing/runExactly.js';

// The built `exactly` as a separate process: help, usage errors and unreachable dependencies,
// with the exit codes scripts rely on.

const leafCommands = [
  ['accounts', 'create'],
  ['accounts', 'list'],
  ['accounts', 'revoke'],
  ['keys', 'create'],
  ['keys', 'list'],
  ['keys', 'revoke'],
  ['send'],
  ['status'],
  ['groups'],
  ['replay'],
  ['projections', 'rebuild'],
  ['outbox'],
  ['audit'],
  ['dlq', 'list'],
  ['dlq', 'redrive'],
  ['dispatcher'],
];

describe('the exactly command', () => {
  it('has --help and --json on every command, and lists its exit codes', async () => {
    const top = await exactlyProcess(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Exit codes:\n {2}0 {2}done\n/);
    for (const command of leafCommands) {
      const help = await exactly([...command, '--help']);
      expect({ command, code: help.code }).toEqual({ command, code: 0 });
      expect(help.stdout).toMatch(new RegExp(`^Usage: exactly ${command.join(' ')}`));
      expect(help.stdout).toContain('--json');
    }
  });

  it('leaves no spinner on a terminal when run through npx', () => {
    // `script` gives npx a terminal, where npm draws its spinner unless the project's .npmrc says not to.
    const run = spawnSync('script', ['-qec', 'npx exactly --help', '/dev/null'], {
      cwd: fileURLToPath(new URL('../../../', import.meta.url)),
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: exactly');
    expect(run.stdout).not.toMatch(/[\u2800-\u28ff]/);
  });

  it('audits the commands in flight: none older than a thousand days, exit 0', async () => {
    const audit = await exactly(['audit', '--older-than', '1000d']);
    expect(audit).toMatchObject({ code: 0, stdout: 'no command in flight for longer than 1000 d 0 h\n' });
    const json = await exactly(['audit', '--older-than', '1000d', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ olderThanMs: 1000 * 86_400_000, stuck: [] });
  });

  it('exits 2 on a usage error and shows where to look', async () => {
    const unknown = await exactlyProcess(['replay', '--to-nowhere']);
    expect(unknown).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unknown option '--to-nowhere'\n\(add --help for usage\)/),
    });
    expect((await exactly(['frobnicate'])).code).toBe(2);
    expect((await exactly(['send', '--count', '0'])).stderr).toMatch(/--count must be a whole number from 1/);
    // {i} makes each command its own: a refusal names the indexes that fail, not the whole load.
    const placeholders = await exactly([
      ...[
        'send',
        '--channel',
        'sms',
        '--to',
        '+155512{i}',
        '--from',
        'Acme',
        '--text',
        'hi',
        '--count',
        '12',
      ],
    ]);
    expect(placeholders.code).toBe(2);
    expect(placeholders.stderr).toMatch(/command 0: to: /);
    expect(placeholders.stderr).not.toMatch(/command 11: to: /);
    const badConfig = await exactlyProcess(['outbox'], { KAFKA_BROKERS: 'nohost' });
    expect(badConfig).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/KAFKA_BROKERS.*="nohost": expected host:port/),
    });
  });

  it('exits 5 with what to do when PostgreSQL or Kafka cannot be reached', async () => {
    const database = await exactlyProcess(['outbox'], {
      DATABASE_URL: 'postgres://postgres:exactly@127.0.0.1:9/exactly',
    });
    expect(database).toMatchObject({
      code: 5,
      stderr: expect.stringMatching(
        /cannot reach PostgreSQL at 127\.0\.0\.1:9\/exactly \(ECONNREFUSED\).*npm run infra:up.*DATABASE_URL/,
      ),
    });
    const started = Date.now();
    const kafka = await exactlyProcess(['groups'], { KAFKA_BROKERS: '127.0.0.1:9' });
    expect(kafka).toMatchObject({
      code: 5,
      stderr: expect.stringMatching(/cannot reach Kafka \(127\.0\.0\.1:9: ECONNREFUSED\).*KAFKA_BROKERS/),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    const api = await exactlyProcess(['status', 'msg_1', '--api-key', 'ex_x'], {
      EXACTLY_API_URL: 'http://127.0.0.1:9',
    });
    expect(api).toMatchObject({
      code: 5,
      stderr: expect.stringMatching(
        /cannot reach the ingest API at http:\/\/127\.0\.0\.1:9.*EXACTLY_API_URL/,
      ),
    });
  });

  it('writes results to stdout and plain progress lines to stderr when it is not a terminal', async () => {
    const orm = await openOrm({ databaseUrl: process.env.DATABASE_URL ?? '', poolSize: 1 });
    const accountId = newId('acc');
    const messageId = newId('msg');
    try {
      await orm.em.fork().transactional(async (em) => {
        await runSql(em, 'INSERT INTO accounts (id, name) VALUES ($1, $2)', [accountId, 'progress test']);
        await runSql(
          em,
          `INSERT INTO messages (id, account_id, idempotency_key, channel, recipient, sender, content, status, version)
           VALUES ($1, $2, 'k', 'sms', '+15551234567', 'Acme', '{}', 'accepted', 1)`,
          [messageId, accountId],
        );
        await appendToStreams(em, [
          {
            streamId: messageId,
            expectedVersion: 0,
            events: [
              {
                type: 'MessageAccepted',
                data: {
                  messageId,
                  accountId,
                  channel: 'sms',
                  to: '+15551234567',
                  from: 'Acme',
                  idempotencyKey: 'k',
                },
              },
            ],
          },
        ]);
      });
    } finally {
      await orm.close();
    }
    const checked = await exactlyProcess(['projections', 'rebuild', '--account', accountId, '--json']);
    expect(checked).toMatchObject({ code: 0, json: { checked: 1, equal: true } });
    expect(checked.stderr).toMatch(/^projections: 1\/1 \(100%\) · [\d.]+ s\n$/);
    expect(checked.stderr).not.toContain('\r');
    expect((await exactlyProcess(['projections', 'rebuild', '--account', accountId, '--quiet'])).stderr).toBe(
      '',
    );
  });
});
