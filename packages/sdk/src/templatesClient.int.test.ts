import { type Caller, createAccount, IngestApi } from '@exactly/testkit';
import { createClient, ExactlyApiError } from './index.js';

describe.each(['default', 'truedy'])(
  'the SDK’s templates against the real ingest API (%s profile)',
  (profile) => {
    let api: IngestApi;
    let caller: Caller;

    beforeAll(async () => {
      api = await IngestApi.start(profile);
      caller = await createAccount(`sdk-templates-${profile}-${Date.now()}`);
    });

    afterAll(async () => {
      await api.stop();
    });

    it('creates once per key, versions, reads, lists and sends from a template', async () => {
      const client = createClient({ baseUrl: api.url, apiKey: caller.apiKey });
      const template = { name: 'code', channel: 'sms', text: 'Your code is {{code}}' } as const;
      const created = await client.templates.create(template, { idempotencyKey: 'tpl-a' });
      const again = await client.templates.create(template, { idempotencyKey: 'tpl-a' });
      expect(created).toMatchObject({
        replayed: false,
        status: 201,
        template: { version: 1, channel: 'sms' },
      });
      expect(again).toMatchObject({ replayed: true, template: created.template });
      const { id } = created.template;

      const v2 = await client.templates.createVersion(id, { text: 'Code: {{code}}' });
      expect(v2.template).toMatchObject({ id, version: 2, latestVersion: 2, text: 'Code: {{code}}' });
      expect(await client.templates.get(id)).toMatchObject({ version: 2 });
      expect(await client.templates.get(id, { version: 1 })).toMatchObject({
        version: 1,
        text: template.text,
      });
      const listed = [];
      for await (const found of client.templates.list({ limit: 1 })) listed.push(found.id);
      expect(listed).toEqual([id]);

      const sent = await client.messages.send({
        to: '+15551234567',
        from: 'ACME',
        template: { id, version: 1 },
        variables: { code: 4242 },
      });
      expect(sent.message).toMatchObject({ channel: 'sms', status: 'accepted' });
      const batch = await client.messages.sendBatch([
        { to: '+15551234567', from: 'ACME', template: { id }, variables: { code: 1 } },
        { channel: 'sms', to: '+15551234568', from: 'ACME', text: 'plain' },
      ]);
      expect(batch.messages).toHaveLength(2);
    });

    it('throws the server’s 422 with each wrong variable as a field error', async () => {
      const client = createClient({ baseUrl: api.url, apiKey: caller.apiKey });
      const { template } = await client.templates.create({ name: 'hi', channel: 'sms', text: 'Hi {{name}}' });
      const refused = await client.messages
        .send({ to: '+15551234567', from: 'ACME', template: { id: template.id }, variables: { nome: 'Ada' } })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ExactlyApiError);
      expect((refused as ExactlyApiError).status).toBe(422);
      expect((refused as ExactlyApiError).fieldErrors).toEqual([
        { path: 'variables.name', message: 'missing: the template uses {{name}}' },
        { path: 'variables.nome', message: 'unknown: the template does not use this variable' },
      ]);
    });

    it('checks a templated send against the contract before sending', async () => {
      const client = createClient({ baseUrl: api.url, apiKey: caller.apiKey });
      const refused = await client.messages
        .sendBatch([
          // @ts-expect-error a template's version is a number
          { to: '+15551234567', from: 'ACME', template: { id: 'tpl_x', version: 'latest' } },
        ])
        .catch((error: unknown) => error);
      expect((refused as ExactlyApiError).fieldErrors).toEqual([
        { path: 'messages.0.template.version', message: expect.any(String) },
      ]);
    });
  },
);
