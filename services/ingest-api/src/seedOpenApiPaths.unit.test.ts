import { idempotencyProfiles } from '@exactly/idempotency';
import { openApiDocument } from './openApiDocument.js';

const pathsOf = (name: keyof typeof idempotencyProfiles) =>
  Object.keys((openApiDocument(idempotencyProfiles[name]) as { paths: Record<string, unknown> }).paths);

describe('the OpenAPI document of a seed profile', () => {
  it('lists that seed’s own routes, and no other seed’s', () => {
    expect(pathsOf('txtly')).toContain('/emails');
    expect(pathsOf('getmailer')).toContain('/api/emails');
    expect(pathsOf('truedy')).toEqual(
      expect.arrayContaining(['/api/public/v1/calls', '/api/public/v1/batch-calls']),
    );
    for (const name of ['default', 'pulsewave'] as const) {
      expect(pathsOf(name).filter((path) => !path.startsWith('/v1/'))).toEqual([]);
    }
    expect(pathsOf('txtly')).not.toContain('/api/public/v1/calls');
  });

  it('documents the wait of GET /v1/idempotency-keys/{key} with an example', () => {
    const document = openApiDocument(idempotencyProfiles.default) as {
      paths: Record<string, { get: { parameters: { name: string; example?: unknown }[] } }>;
    };
    const parameters = document.paths['/v1/idempotency-keys/{key}']?.get.parameters ?? [];
    expect(parameters).toContainEqual(expect.objectContaining({ name: 'wait', example: '30s' }));
  });
});
