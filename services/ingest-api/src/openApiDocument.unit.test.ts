import { idempotencyProfileNames, idempotencyProfiles } from '@exactly/idempotency';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { openApiDocument } from './openApiDocument.js';

// The document a client generates its code from passes the standard linter (Redocly's engine,
// the one `@redocly/cli lint` runs, with its recommended rules) under every profile.
describe('the OpenAPI document', () => {
  it.each(idempotencyProfileNames)('passes the recommended lint rules under the %s profile', async (name) => {
    const document = openApiDocument(idempotencyProfiles[name]);
    const problems = await lintFromString({
      source: JSON.stringify(document),
      absoluteRef: `/openapi-${name}.json`,
      config: await createConfig({ extends: ['recommended'] }),
    });
    const errors = problems
      .filter((problem) => problem.severity === 'error')
      .map((problem) => `${problem.ruleId}: ${problem.message} (${problem.location[0]?.pointer ?? ''})`);
    expect(errors).toEqual([]);
  });

  it.each(idempotencyProfileNames)('describes the %s profile’s own key header', (name) => {
    const profile = idempotencyProfiles[name];
    const document = openApiDocument(profile) as {
      paths: Record<string, { post?: { parameters?: { name: string; in: string }[] } }>;
    };
    const send = document.paths['/v1/messages']?.post?.parameters ?? [];
    expect(send).toContainEqual(expect.objectContaining({ name: profile.header, in: 'header' }));
  });

  it('documents the template version a message was rendered from', () => {
    // biome-ignore lint/suspicious/noExplicitAny: the test walks the generated document
    const document = openApiDocument(idempotencyProfiles.default) as any;
    const template = document.components.schemas.MessageResource.properties.template;
    expect(template).toMatchObject({
      type: 'object',
      required: ['id', 'version'],
      properties: { id: { type: 'string' }, version: { type: 'integer' } },
    });
    expect(template.description).toMatch(/template version/);
  });

  it.each(idempotencyProfileNames)(
    'documents scheduled sends under the %s profile, with examples',
    (name) => {
      const profile = idempotencyProfiles[name];
      // biome-ignore lint/suspicious/noExplicitAny: the test walks the generated document
      const document = openApiDocument(profile) as any;
      const message = document.paths['/v1/messages/{id}'];
      expect(Object.keys(message).sort()).toEqual(['get', 'patch', 'put']);
      expect(message.patch.requestBody.content['application/json'].examples.reschedule.value).toHaveProperty(
        'send_at',
      );
      expect(document.paths['/v1/messages/{id}/cancel'].post.responses).toHaveProperty('409');
      const keyed = (operation: { parameters: { name: string }[] }) =>
        operation.parameters.some((parameter) => parameter.name === profile.header);
      expect(keyed(message.patch)).toBe((profile.methods as readonly string[]).includes('PATCH'));
      expect(keyed(message.put)).toBe((profile.methods as readonly string[]).includes('PUT'));
      const variants =
        document.components.schemas.SendMessage.anyOf ?? document.components.schemas.SendMessage.oneOf;
      for (const variant of variants) expect(variant.properties).toHaveProperty('send_at');
      expect(document.components.schemas.SendMessageBatch.properties).toHaveProperty('send_at');
    },
  );
});

describe('the webhook endpoints in the OpenAPI document', () => {
  it.each(idempotencyProfileNames)(
    'are described with examples under the %s profile, with the delivery as a webhook',
    (name) => {
      const document = openApiDocument(idempotencyProfiles[name]) as {
        paths: Record<
          string,
          Record<string, { requestBody?: { content: Record<string, { example?: unknown }> } }>
        >;
        webhooks: Record<string, unknown>;
      };
      const create = document.paths['/v1/webhook-endpoints']?.post;
      expect(create?.requestBody?.content['application/json']?.example).toBeDefined();
      for (const path of [
        '/v1/webhook-endpoints/{id}',
        '/v1/webhook-endpoints/{id}/rotate-secret',
        '/v1/webhook-endpoints/{id}/replay',
      ]) {
        expect(document.paths[path]).toBeDefined();
      }
      expect(Object.keys(document.webhooks)).toEqual(['messageEvent']);
    },
  );
});
