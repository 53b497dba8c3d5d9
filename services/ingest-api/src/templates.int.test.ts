import { SendMessageCommand, TemplateResource } from '@exactly/contracts';
import { idempotencyProfileNames } from '@exactly/idempotency';
import { runSql } from '@exactly/persistence';
import { startTestServer, storedFor, type TestAccount, type TestServer } from './testing/startTestServer.js';

interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: assertions read whatever JSON the API answered
  json: any;
}

/** One request over a real socket, as `who`, with an optional idempotency key in the profile's header. */
async function call(
  api: TestServer,
  who: TestAccount,
  method: string,
  path: string,
  body?: unknown,
  key?: string,
): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${who.apiKey}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (key !== undefined) headers[api.server.engine.profile.header] = key;
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text === '' ? undefined : JSON.parse(text),
  };
}

const welcome = {
  name: 'welcome',
  channel: 'email',
  subject: 'Welcome, {{name}}',
  text: 'Hi {{name}}, your order {{order}} is on its way.{{#vip}} Thanks for being a VIP.{{/vip}}',
  html: '<p>Hi {{name}}, your order {{order}} is on its way.</p>',
};

async function templateRows(api: TestServer, accountId: string) {
  const { rows } = await runSql<{ id: string; latest_version: number }>(
    api.orm.em.fork(),
    'SELECT id, latest_version FROM templates WHERE account_id = $1 ORDER BY id',
    [accountId],
  );
  return rows;
}

describe.each(idempotencyProfileNames)('creating a template under the %s profile', (profile) => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startTestServer({ IDEMPOTENCY_PROFILE: profile }, { listen: true });
  });
  afterAll(async () => {
    await api.close();
  });
  const resourceOf = (answer: Answer) =>
    TemplateResource.parse(api.server.engine.profile.envelope === 'data' ? answer.json.data : answer.json);

  it('answers 201 with the template, and a retry with the key replays it and creates nothing more', async () => {
    const who = await api.newAccount();
    const first = await call(api, who, 'POST', '/v1/templates', welcome, 'tpl-key-1');
    expect(first.status).toBe(201);
    const created = resourceOf(first);
    expect(created).toMatchObject({
      id: expect.stringMatching(/^tpl_[0-9a-f]{32}$/),
      name: 'welcome',
      channel: 'email',
      version: 1,
      latestVersion: 1,
      variables: [
        { name: 'name', type: 'text' },
        { name: 'order', type: 'text' },
        { name: 'vip', type: 'boolean' },
      ],
    });
    expect(first.headers.get('location')).toBe(`/v1/templates/${created.id}/versions/1`);

    const retry = await call(api, who, 'POST', '/v1/templates', welcome, 'tpl-key-1');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.json).toEqual(first.json);
    expect(await templateRows(api, who.accountId)).toEqual([{ id: created.id, latest_version: 1 }]);

    const otherBody = await call(
      api,
      who,
      'POST',
      '/v1/templates',
      { ...welcome, name: 'other' },
      'tpl-key-1',
    );
    const { onMismatch, mismatchStatus } = api.server.engine.profile;
    expect(otherBody.status).toBe(onMismatch === 'replay' ? 201 : mismatchStatus);
    expect(await templateRows(api, who.accountId)).toHaveLength(1);
  });

  it('makes a new version idempotently: a retry replays version 2 and makes no version 3', async () => {
    const who = await api.newAccount();
    const created = resourceOf(await call(api, who, 'POST', '/v1/templates', welcome, 'create'));
    const next = { ...welcome, name: undefined, channel: undefined, subject: 'Hello again, {{name}}' };
    const first = await call(api, who, 'POST', `/v1/templates/${created.id}/versions`, next, 'v2');
    const retry = await call(api, who, 'POST', `/v1/templates/${created.id}/versions`, next, 'v2');
    expect(first.status).toBe(201);
    expect(resourceOf(first)).toMatchObject({ id: created.id, version: 2, subject: 'Hello again, {{name}}' });
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.json).toEqual(first.json);
    expect(await templateRows(api, who.accountId)).toEqual([{ id: created.id, latest_version: 2 }]);
  });
});

describe('templates and sends (default profile)', () => {
  let api: TestServer;
  let who: TestAccount;
  beforeAll(async () => {
    api = await startTestServer({}, { listen: true });
  });
  beforeEach(async () => {
    who = await api.newAccount();
  });
  afterAll(async () => {
    await api.close();
  });

  const create = async (body: unknown = welcome) => {
    const answer = await call(api, who, 'POST', '/v1/templates', body, `create-${Math.random()}`);
    expect(answer.status).toBe(201);
    return TemplateResource.parse(answer.json);
  };
  const send = (body: unknown, key: string, path = '/v1/messages') => call(api, who, 'POST', path, body, key);
  const sentCommands = async () =>
    (await storedFor(api.orm, who.accountId)).outbox
      .filter((row) => row.topic === 'exactly.send-commands')
      .map((row) => SendMessageCommand.parse(row.payload).data.message);

  it('reads a template, a version of it and the account’s list; another account’s template is 404', async () => {
    const first = await create();
    const second = await create({ name: 'code', channel: 'sms', text: 'Your code is {{code}}' });
    await call(
      api,
      who,
      'POST',
      `/v1/templates/${first.id}/versions`,
      { subject: 'v2 {{name}}', text: 'v2' },
      'v',
    );
    const latest = await call(api, who, 'GET', `/v1/templates/${first.id}`);
    expect(latest.status).toBe(200);
    expect(latest.json).toMatchObject({ version: 2, latestVersion: 2, subject: 'v2 {{name}}', text: 'v2' });
    expect(latest.json.html).toBeUndefined();
    const v1 = await call(api, who, 'GET', `/v1/templates/${first.id}/versions/1`);
    expect(v1.json).toMatchObject({
      version: 1,
      latestVersion: 2,
      subject: welcome.subject,
      html: welcome.html,
    });
    expect((await call(api, who, 'GET', `/v1/templates/${first.id}/versions/3`)).status).toBe(404);

    const page = await call(api, who, 'GET', '/v1/templates?limit=1');
    expect(page.json.data.map((t: TemplateResource) => t.id)).toEqual([second.id]);
    const rest = await call(api, who, 'GET', `/v1/templates?limit=1&cursor=${page.json.nextCursor}`);
    expect(rest.json).toEqual({
      data: [expect.objectContaining({ id: first.id, version: 2 })],
      nextCursor: null,
    });

    const stranger = await api.newAccount();
    const theirs = await call(api, stranger, 'GET', `/v1/templates/${first.id}`);
    expect(theirs.status).toBe(404);
    expect(theirs.json.code).toBe('not_found');
    expect((await call(api, stranger, 'GET', '/v1/templates')).json.data).toEqual([]);
    const version = await call(
      api,
      stranger,
      'POST',
      `/v1/templates/${first.id}/versions`,
      { text: 'x' },
      'k',
    );
    expect(version.status).toBe(404);
    const sent = await call(
      api,
      stranger,
      'POST',
      '/v1/messages',
      { to: 'ada@example.com', from: 'orders@acme.com', template: { id: first.id }, variables: {} },
      'k',
    );
    expect(sent.status).toBe(422);
    expect(sent.json.code).toBe('template_not_found');
  });

  it('numbers concurrent versions without a gap or a duplicate; a loser gets 409 and its key stays free', async () => {
    const template = await create();
    const version = (text: string, key: string) =>
      call(api, who, 'POST', `/v1/templates/${template.id}/versions`, { subject: 's', text }, key);
    const answers = (
      await Promise.all(
        Array.from({ length: 4 }, (_, round) =>
          Promise.all([version(`a${round}`, `a-${round}`), version(`b${round}`, `b-${round}`)]),
        ),
      )
    ).flat();
    for (const answer of answers) expect([201, 409]).toContain(answer.status);
    const conflicts = answers.filter((answer) => answer.status === 409);
    for (const conflict of conflicts) expect(conflict.json.code).toBe('template_version_conflict');
    const numbers = answers.filter((answer) => answer.status === 201).map((answer) => answer.json.version);
    expect(new Set(numbers).size).toBe(numbers.length);
    const { rows } = await runSql<{ version: number }>(
      api.orm.em.fork(),
      'SELECT version FROM template_versions WHERE template_id = $1 ORDER BY version',
      [template.id],
    );
    expect(rows.map((row) => row.version)).toEqual(
      Array.from({ length: numbers.length + 1 }, (_, i) => i + 1),
    );
    // A refused request stored nothing under its key: the same key now makes the next version.
    const keys = answers.flatMap((answer, index) =>
      answer.status === 409 ? [`${index % 2 === 0 ? 'a' : 'b'}-${Math.floor(index / 2)}`] : [],
    );
    for (const key of keys) {
      const [round, name] = [key.slice(2), key[0]];
      const retried = await version(`${name}${round}`, key);
      expect(retried.status).toBe(201);
      expect(retried.headers.get('idempotent-replayed')).toBeNull();
    }
  });

  it('refuses a template mustache cannot parse or a channel’s wrong parts, naming the part', async () => {
    const broken = await call(api, who, 'POST', '/v1/templates', { ...welcome, text: 'Hi {{#vip}}' }, 'b');
    expect(broken.status).toBe(422);
    expect(broken.json).toMatchObject({ code: 'template_invalid', errors: [{ path: 'text' }] });
    const sms = await call(
      api,
      who,
      'POST',
      '/v1/templates',
      { name: 's', channel: 'sms', subject: 'x' },
      'c',
    );
    expect(sms.status).toBe(400);
    expect(sms.json.errors).toEqual([
      { path: 'text', message: 'a sms template needs a text' },
      { path: 'subject', message: 'a sms template has no subject (only email has)' },
    ]);
    expect(await templateRows(api, who.accountId)).toEqual([]);
  });

  it('answers 422 naming each missing, unknown and wrongly typed variable, and stores nothing', async () => {
    const template = await create();
    const answer = await send(
      {
        to: 'ada@example.com',
        from: 'orders@acme.com',
        template: { id: template.id },
        variables: { name: 'Ada', vip: 'yes', coupon: 'X1' },
      },
      'bad-vars',
    );
    expect(answer.status).toBe(422);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(answer.json.code).toBe('template_variables_invalid');
    expect(answer.json.errors).toEqual([
      { path: 'variables.order', message: 'missing: the template uses {{order}}' },
      { path: 'variables.vip', message: 'must be a boolean: the template uses it as a section ({{#vip}})' },
      { path: 'variables.coupon', message: 'unknown: the template does not use this variable' },
    ]);
    expect(answer.json.detail).toContain('variables.order');
    const stored = await storedFor(api.orm, who.accountId);
    expect(stored.messages).toEqual([]);
    // Nothing was stored for the key: the corrected request runs under it.
    const fixed = await send(
      {
        to: 'ada@example.com',
        from: 'orders@acme.com',
        template: { id: template.id },
        variables: { name: 'Ada', order: 1042, vip: false },
      },
      'bad-vars',
    );
    expect(fixed.status).toBe(202);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
  });

  it('refuses, before rendering, a send whose text could outgrow the channel’s limit', async () => {
    const template = await create({ name: 'long', channel: 'sms', text: '{{a}}{{a}}{{a}}{{a}}' });
    const answer = await send(
      { to: '+15551234567', from: 'Acme', template: { id: template.id }, variables: { a: 'x'.repeat(401) } },
      'too-long',
    );
    expect(answer.status).toBe(400);
    expect(answer.json.errors).toEqual([{ path: 'text', message: 'at most 1600 characters once rendered' }]);
    expect((await storedFor(api.orm, who.accountId)).messages).toEqual([]);
    const fits = await send(
      { to: '+15551234567', from: 'Acme', template: { id: template.id }, variables: { a: 'x'.repeat(400) } },
      'fits',
    );
    expect(fits.status).toBe(202);
  });

  it('renders once when accepted: a replay after a new version answers and sends the first text', async () => {
    const template = await create();
    const body = {
      channel: 'email',
      to: 'ada@example.com',
      from: 'orders@acme.com',
      template: { id: template.id },
      variables: { name: 'Tom & <Jerry>', order: 1042, vip: true },
      metadata: { order: '1042' },
    };
    const first = await send(body, 'render-once');
    expect(first.status).toBe(202);
    const expected = {
      channel: 'email',
      to: 'ada@example.com',
      from: 'orders@acme.com',
      subject: 'Welcome, Tom & <Jerry>',
      text: 'Hi Tom & <Jerry>, your order 1042 is on its way. Thanks for being a VIP.',
      html: '<p>Hi Tom &amp; &lt;Jerry&gt;, your order 1042 is on its way.</p>',
      metadata: { order: '1042' },
    };
    expect(await sentCommands()).toEqual([expected]);

    const v2 = { subject: 'NEW {{name}}', text: 'NEW {{name}} {{order}}{{#vip}}!{{/vip}}' };
    expect((await call(api, who, 'POST', `/v1/templates/${template.id}/versions`, v2, 'v2')).status).toBe(
      201,
    );
    const replay = await send(body, 'render-once');
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.json).toEqual(first.json);
    // The replay wrote nothing: the one stored command still carries version 1's text.
    expect(await sentCommands()).toEqual([expected]);
    const { rows } = await runSql<{ content: unknown }>(
      api.orm.em.fork(),
      'SELECT content FROM messages WHERE id = $1',
      [first.json.id],
    );
    expect(rows[0]?.content).toEqual(expected);

    // A new send takes the latest version; a pinned one takes its version.
    await send(body, 'after-v2');
    await send({ ...body, template: { id: template.id, version: 1 } }, 'pinned-v1');
    const texts = (await sentCommands()).map((command) => command.text);
    expect(texts).toEqual([expected.text, 'NEW Tom & <Jerry> 1042!', expected.text]);
  });

  it('records the template version a send used: in the reply, the accepted event and the message read', async () => {
    const template = await create({ name: 'code', channel: 'sms', text: 'Your code is {{code}}' });
    const body = { to: '+15551234567', from: 'Acme', template: { id: template.id }, variables: { code: 7 } };
    const v1 = await send(body, 'traced-v1');
    expect(v1.status).toBe(202);
    expect(v1.json.template).toEqual({ id: template.id, version: 1 });

    // A later edit does not change what the first send says it used; a new send names version 2.
    const edit = { text: 'Code: {{code}}' };
    expect(
      (await call(api, who, 'POST', `/v1/templates/${template.id}/versions`, edit, 'traced-edit')).status,
    ).toBe(201);
    const v2 = await send(body, 'traced-v2');
    expect(v2.json.template).toEqual({ id: template.id, version: 2 });
    const batch = await send(
      {
        messages: [
          { ...body, template: { id: template.id, version: 1 } },
          { channel: 'sms', to: '+15551234568', from: 'Acme', text: 'plain' },
        ],
      },
      'traced-batch',
      '/v1/messages/batch',
    );
    expect(batch.status).toBe(202);
    expect(batch.json.messages.map((message: { template?: unknown }) => message.template)).toEqual([
      { id: template.id, version: 1 },
      undefined,
    ]);

    const read = await call(api, who, 'GET', `/v1/messages/${v1.json.id}`);
    expect(read.json.template).toEqual({ id: template.id, version: 1 });
    expect(read.json.events[0]).toMatchObject({
      type: 'MessageAccepted',
      data: { template: { id: template.id, version: 1 } },
    });
    const { rows } = await runSql<{ data: { template?: unknown } }>(
      api.orm.em.fork(),
      `SELECT data FROM message_events WHERE stream_id = $1 AND type = 'MessageAccepted'`,
      [v2.json.id],
    );
    expect(rows[0]?.data.template).toEqual({ id: template.id, version: 2 });
    // A send with content names no template.
    const plain = await call(api, who, 'GET', `/v1/messages/${batch.json.messages[1].id}`);
    expect(plain.status).toBe(200);
    expect(plain.json.template).toBeUndefined();
    // The list shows each message's template version as its read does.
    const list = await call(api, who, 'GET', '/v1/messages?limit=10');
    const listed = new Map(
      list.json.data.map((message: { id: string; template?: unknown }) => [message.id, message.template]),
    );
    expect(listed.get(v1.json.id)).toEqual({ id: template.id, version: 1 });
    expect(listed.get(v2.json.id)).toEqual({ id: template.id, version: 2 });
    expect(listed.get(batch.json.messages[1].id)).toBeUndefined();
  });

  it('renders each templated item of a batch, beside items with content', async () => {
    const template = await create({ name: 'code', channel: 'sms', text: 'Your code is {{code}}' });
    const answer = await send(
      {
        messages: [
          { to: '+15551234567', from: 'Acme', template: { id: template.id }, variables: { code: 1234 } },
          { channel: 'sms', to: '+15551234568', from: 'Acme', text: 'plain' },
        ],
      },
      'batch',
      '/v1/messages/batch',
    );
    expect(answer.status).toBe(202);
    expect((await sentCommands()).map((command) => command.text).sort()).toEqual([
      'Your code is 1234',
      'plain',
    ]);

    const bad = await send(
      {
        messages: [
          { channel: 'sms', to: '+15551234568', from: 'Acme', text: 'plain' },
          { to: '+15551234567', from: 'Acme', template: { id: template.id }, variables: {} },
        ],
      },
      'batch-bad',
      '/v1/messages/batch',
    );
    expect(bad.status).toBe(422);
    expect(bad.json.errors).toEqual([
      { path: 'messages.1.variables.code', message: 'missing: the template uses {{code}}' },
    ]);
    const alone = await send(
      { messages: [{ to: '+15551234567', from: 'Acme', template: { id: template.id }, variables: {} }] },
      'batch-of-one',
      '/v1/messages/batch',
    );
    expect(alone.json.errors).toEqual([
      { path: 'messages.0.variables.code', message: 'missing: the template uses {{code}}' },
    ]);
    const wrongChannel = await send(
      {
        channel: 'email',
        to: 'a@example.com',
        from: 'b@example.com',
        template: { id: template.id },
        variables: { code: 1 },
      },
      'wrong-channel',
    );
    expect(wrongChannel.status).toBe(400);
    expect(wrongChannel.json.errors).toEqual([
      { path: 'channel', message: "must be sms, the template's channel" },
    ]);
  });
});
