import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { createAccount, IngestApi } from '@exactly/testkit';
import { exactly } from '../testing/runExactly.js';

// `exactly templates` and `exactly send --template` against a real ingest API process: under the
// default profile, and under truedy (another key header, replies in a `data` envelope).
describe.each(['default', 'truedy'])('exactly templates under the %s profile', (profile) => {
  let api: IngestApi;
  let orm: Orm;

  beforeAll(async () => {
    api = await IngestApi.start(profile);
    orm = await openOrm({ databaseUrl: process.env.DATABASE_URL ?? '', poolSize: 2 });
  });

  afterAll(async () => {
    await api.stop();
    await orm.close();
  });

  it('creates once per key, adds a version, reads and lists, and sends from a template with --var', async () => {
    const who = await createAccount(`cli-templates-${profile}-${Date.now()}`);
    const env = { EXACTLY_API_URL: api.url, EXACTLY_API_KEY: who.apiKey };
    const create = [
      ...['templates', 'create', 'shipped', '--channel', 'sms'],
      ...['--text', 'Hi {{name}}, order {{order}} shipped.{{#vip}} VIP!{{/vip}}'],
      ...['--idempotency-key', 'tpl-1', '--json'],
    ];
    const first = await exactly(create, env);
    const again = await exactly(create, env);
    expect(first).toMatchObject({ code: 0, json: { id: expect.stringMatching(/^tpl_/), version: 1 } });
    expect(again.json).toEqual(first.json);
    const id: string = first.json.id;
    expect(first.json.variables).toEqual([
      { name: 'name', type: 'text' },
      { name: 'order', type: 'text' },
      { name: 'vip', type: 'boolean' },
    ]);

    const sendArgs = (key: string, ...more: string[]) => [
      ...['send', '--template', id, '--to', '+15551230001', '--from', 'Acme'],
      ...['--var', 'name=Ada', '--var', 'order=1042', '--var', 'vip=true', ...more],
      ...['--idempotency-key', key, '--json'],
    ];
    const sent = await exactly(sendArgs('send-1'), env);
    expect(sent).toMatchObject({
      code: 0,
      json: { messageId: expect.stringMatching(/^msg_/), replayed: false },
    });

    const version = await exactly(
      ['templates', 'version', id, '--text', 'v2 {{name}} {{order}} {{vip}}', '--json'],
      env,
    );
    expect(version).toMatchObject({ code: 0, json: { id, version: 2 } });
    const replayed = await exactly(sendArgs('send-1'), env);
    expect(replayed.json).toMatchObject({ messageId: sent.json.messageId, replayed: true });
    const pinned = await exactly(sendArgs('send-2', '--template-version', '1'), env);
    expect(pinned.code).toBe(0);

    const { rows } = await runSql<{ id: string; content: { text: string } }>(
      orm.em.fork(),
      'SELECT id, content FROM messages WHERE account_id = $1 ORDER BY id',
      [who.accountId],
    );
    expect(rows.map((row) => row.content.text)).toEqual([
      'Hi Ada, order 1042 shipped. VIP!',
      'Hi Ada, order 1042 shipped. VIP!',
    ]);

    const shown = await exactly(['templates', 'get', id], env);
    expect(shown.stdout).toContain(`${id} "shipped" (sms) version 2 of 2`);
    const v1 = await exactly(['templates', 'get', id, '--version', '1', '--json'], env);
    expect(v1.json).toMatchObject({ version: 1, latestVersion: 2 });
    const list = await exactly(['templates', 'list'], env);
    expect(list.stdout).toContain(id);
    expect(list.stdout).toContain('name order vip');
  });

  it('names the wrong variables and exits non-zero', async () => {
    const who = await createAccount(`cli-templates-bad-${profile}-${Date.now()}`);
    const env = { EXACTLY_API_URL: api.url, EXACTLY_API_KEY: who.apiKey };
    const created = await exactly(
      ['templates', 'create', 'c', '--channel', 'sms', '--text', 'Code {{code}}', '--json'],
      env,
    );
    const sent = await exactly(
      ['send', '--template', created.json.id, '--to', '+15551230001', '--from', 'Acme', '--var', 'cod=1'],
      env,
    );
    expect(sent.code).not.toBe(0);
    expect(sent.stderr).toContain('variables.code: missing: the template uses {{code}}');
    expect(sent.stderr).toContain('variables.cod: unknown');
  });
});
