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
