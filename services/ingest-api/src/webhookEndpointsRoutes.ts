import { validated } from '@exactly/config';
import { CreateWebhookEndpoint, UpdateWebhookEndpoint, type WebhookEndpoint } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import {
  createIdempotencyEngine,
  type IdempotencyProfile,
  keyScopeOf,
  requestFingerprint,
} from '@exactly/idempotency';
import type { Orm } from '@exactly/persistence';
import {
  checkWebhookUrl,
  existingWebhookEndpointIds,
  findWebhookEndpoint,
  insertWebhookEndpoints,
  listWebhookDeliveries,
  listWebhookEndpoints,
  type NewWebhookEndpoint,
  newWebhookSecret,
  readWebhookEndpointEvents,
  replayWebhookDeliveries,
  rotateWebhookSecret,
  setWebhookEndpointDisabled,
  updateWebhookEndpoint,
} from '@exactly/webhooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from './createApiKeyAuthenticator.js';

export interface WebhookEndpointsRoutesOptions {
  orm: Orm;
  profile: IdempotencyProfile;
  newId: (prefix: string) => string;
  principalOf: (request: FastifyRequest) => Principal;
  allowPrivateAddresses: boolean;
  /** How long a rotated-out secret keeps signing beside the new one. */
  secretOverlapMs: number;
  leaseMs: number;
  waitTimeoutMs: number;
}

const Disable = z.strictObject({ reason: z.string().max(500).optional() });
const Replay = z.strictObject({ since: z.iso.datetime({ offset: true }) });
const endpointId = /^whe_[0-9a-f]{32}$/;

/**
 * `/v1/webhook-endpoints`: an idempotent create (its own engine over the same idempotency records
 * and profile as the messages), list, get, update, disable, enable, rotate the secret, replay
 * deliveries from a time, and read an endpoint's deliveries and events.
 */
export async function webhookEndpointsRoutes(
  app: FastifyInstance,
  options: WebhookEndpointsRoutesOptions,
): Promise<void> {
  const { orm, profile } = options;
  const policy = { allowPrivateAddresses: options.allowPrivateAddresses };
  const engine = createIdempotencyEngine<NewWebhookEndpoint>({
    orm,
    profile,
    writeEffects: insertWebhookEndpoints,
    findWrittenEffects: async (em, endpoints) => {
      const found = await existingWebhookEndpointIds(
        em,
        endpoints.map((endpoint) => endpoint.id),
      );
      return endpoints.map((endpoint) => found.has(endpoint.id));
    },
    leaseMs: options.leaseMs,
    waitTimeoutMs: options.waitTimeoutMs,
  });
  app.addHook('onClose', () => engine.close());

  const send = (reply: FastifyReply, status: number, content: unknown) =>
    reply
      .code(status)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(profile.envelope === 'data' ? { data: content } : content));
  // A list is `{ "data": [...] }` under every profile (already the envelope's shape).
  const sendList = (reply: FastifyReply, data: unknown[]) =>
    reply.type('application/json; charset=utf-8').send(JSON.stringify({ data }));

  async function owned(request: FastifyRequest<{ Params: { id: string } }>): Promise<WebhookEndpoint> {
    const { accountId } = options.principalOf(request);
    const found = endpointId.test(request.params.id)
      ? await findWebhookEndpoint(orm.em.fork(), accountId, request.params.id)
      : undefined;
    // Another account's endpoint is as absent as one that never existed.
    if (found === undefined) throw new ExactlyError('not_found', `no webhook endpoint ${request.params.id}`);
    return found;
  }

  app.post('/v1/webhook-endpoints', { config: { idempotent: true } }, async (request, reply) => {
    const body = validated(CreateWebhookEndpoint, request.body, 'the webhook endpoint');
    await checkWebhookUrl(body.url, policy);
    const principal = options.principalOf(request);
    const outcome = await engine.execute({
      scope: keyScopeOf(request, principal),
      fingerprint: requestFingerprint(request.method, request.routeOptions.url ?? request.url, request.body),
      requestId: request.id,
      prepare: (createdAt) => {
        const created: NewWebhookEndpoint = {
          id: options.newId('whe'),
          accountId: principal.accountId,
          url: body.url,
          description: body.description ?? null,
          eventTypes: body.eventTypes ?? null,
          secret: newWebhookSecret(),
        };
        const at = createdAt.toISOString();
        const resource = {
          ...viewOf(created),
          createdAt: at,
          updatedAt: at,
          // The only answers that show the secret: this one (and its replays) and a rotation's.
          secret: created.secret,
        };
        return {
          effect: created,
          resourceIds: [created.id],
          reply: {
            status: 201,
            headers: {
              'content-type': 'application/json; charset=utf-8',
              location: `/v1/webhook-endpoints/${created.id}`,
            },
            body: JSON.stringify(profile.envelope === 'data' ? { data: resource } : resource),
          },
        };
      },
    });
    return reply.sendIdempotencyOutcome(outcome);
  });

  app.get('/v1/webhook-endpoints', async (request, reply) => {
    const { accountId } = options.principalOf(request);
    return sendList(reply, await listWebhookEndpoints(orm.em.fork(), accountId));
  });

  app.get<{ Params: { id: string } }>('/v1/webhook-endpoints/:id', async (request, reply) =>
    send(reply, 200, await owned(request)),
  );

  app.patch<{ Params: { id: string } }>('/v1/webhook-endpoints/:id', async (request, reply) => {
    const endpoint = await owned(request);
    const change = validated(UpdateWebhookEndpoint, request.body, 'the change');
    if (change.url !== undefined) await checkWebhookUrl(change.url, policy);
    const updated = await updateWebhookEndpoint(orm.em.fork(), endpoint.accountId, endpoint.id, change);
    return send(reply, 200, updated);
  });

  app.post<{ Params: { id: string } }>('/v1/webhook-endpoints/:id/disable', async (request, reply) => {
    const endpoint = await owned(request);
    const { reason } = validated(Disable, request.body ?? {}, 'the request');
    const disabled = await setWebhookEndpointDisabled(orm, endpoint.accountId, endpoint.id, {
      reason: reason ?? 'disabled by the account',
      by: 'account',
    });
    return send(reply, 200, disabled);
  });

  app.post<{ Params: { id: string } }>('/v1/webhook-endpoints/:id/enable', async (request, reply) => {
    const endpoint = await owned(request);
    return send(reply, 200, await setWebhookEndpointDisabled(orm, endpoint.accountId, endpoint.id, false));
  });

  app.post<{ Params: { id: string } }>('/v1/webhook-endpoints/:id/rotate-secret', async (request, reply) => {
    const endpoint = await owned(request);
    const rotated = await rotateWebhookSecret(
      orm,
      endpoint.accountId,
      endpoint.id,
      newWebhookSecret(),
      options.secretOverlapMs,
    );
    return send(reply, 200, rotated);
  });

  app.post<{ Params: { id: string } }>('/v1/webhook-endpoints/:id/replay', async (request, reply) => {
    const endpoint = await owned(request);
    const { since } = validated(Replay, request.body, 'the replay');
    const replayed = await replayWebhookDeliveries(orm, endpoint.id, new Date(since));
    return send(reply, 202, { endpointId: endpoint.id, since, deliveries: replayed });
  });

  app.get<{ Params: { id: string } }>('/v1/webhook-endpoints/:id/deliveries', async (request, reply) => {
    const endpoint = await owned(request);
    return sendList(reply, await listWebhookDeliveries(orm.em.fork(), endpoint.id));
  });

  app.get<{ Params: { id: string } }>('/v1/webhook-endpoints/:id/events', async (request, reply) => {
    const endpoint = await owned(request);
    return sendList(reply, await readWebhookEndpointEvents(orm.em.fork(), endpoint.id));
  });
}

function viewOf(created: NewWebhookEndpoint): Omit<WebhookEndpoint, 'createdAt' | 'updatedAt'> {
  return {
    id: created.id,
    accountId: created.accountId,
    url: created.url,
    description: created.description,
    eventTypes: created.eventTypes,
    disabled: false,
    disabledAt: null,
    disabledReason: null,
    health: { lastSuccessAt: null, lastFailureAt: null, lastError: null, failingStreak: 0 },
  };
}
