import type { IdempotencyKeyState } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import { type IdempotencyEngine, parseIdempotencyKeyValue } from '@exactly/idempotency';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AcceptedMessages } from './acceptMessages.js';
import type { Principal } from './createApiKeyAuthenticator.js';
import { idempotentEndpoints } from './messagesRoutes.js';
import { seedEndpoints } from './seedRoutes.js';

export interface IdempotencyKeysRoutesOptions {
  engine: IdempotencyEngine<AcceptedMessages>;
  principalOf: (request: FastifyRequest) => Principal;
}

/** `GET /v1/idempotency-keys/{key}`: the state of the caller's key, so a client can stop retrying blind. */
export async function idempotencyKeysRoutes(
  app: FastifyInstance,
  { engine, principalOf }: IdempotencyKeysRoutesOptions,
): Promise<void> {
  const endpoints = [...idempotentEndpoints, ...seedEndpoints(engine.profile.name)];
  app.get<{ Params: { key: string } }>('/v1/idempotency-keys/:key', async (request, reply) => {
    const parsed = parseIdempotencyKeyValue(request.params.key, engine.profile);
    if (parsed.kind !== 'key') {
      throw new ExactlyError(
        'idempotency_key_invalid',
        parsed.kind === 'invalid' ? parsed.reason : 'the key is empty',
        { details: { header: engine.profile.header } },
      );
    }
    const found = await engine.keyState(principalOf(request), parsed.key, endpoints);
    const body: IdempotencyKeyState = {
      key: parsed.key,
      state: found.state,
      ...(found.resourceIds.length > 0 ? { messageIds: found.resourceIds } : {}),
      ...(found.createdAt ? { createdAt: found.createdAt.toISOString() } : {}),
      ...(found.expiresAt ? { expiresAt: found.expiresAt.toISOString() } : {}),
      ...(found.endpoints
        ? {
            endpoints: found.endpoints.map((endpoint) => ({
              endpoint: `${endpoint.method} ${endpoint.route}`,
              state: endpoint.state,
              ...(endpoint.resourceIds.length > 0 ? { messageIds: endpoint.resourceIds } : {}),
              ...(endpoint.createdAt ? { createdAt: endpoint.createdAt.toISOString() } : {}),
              ...(endpoint.expiresAt ? { expiresAt: endpoint.expiresAt.toISOString() } : {}),
            })),
          }
        : {}),
    };
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
  });
}
