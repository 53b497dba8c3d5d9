import { validated } from '@exactly/config';
import { MessageStatus } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import { type IdempotencyEngine, keyScopeOf, requestFingerprint } from '@exactly/idempotency';
import { inSpan, traceparentOf, tracingEnabled } from '@exactly/observability';
import type { Orm } from '@exactly/persistence';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type AcceptedMessages, acceptMessages } from './acceptMessages.js';
import type { Principal } from './createApiKeyAuthenticator.js';
import { findMessage, listMessages } from './readMessages.js';
import { parseBatch, parseSend, renderSends, type SendInput } from './renderSends.js';
import { traceparentFor } from './traceparent.js';

export interface MessagesRoutesOptions {
  orm: Orm;
  engine: IdempotencyEngine<AcceptedMessages>;
  newId: (prefix: string) => string;
  principalOf: (request: FastifyRequest) => Principal;
  /** `max.message.bytes` of the commands topic. */
  maxRecordBytes: number;
}

/** The routes whose POSTs create messages under an idempotency key. */
export const idempotentEndpoints = [
  { method: 'POST', route: '/v1/messages' },
  { method: 'POST', route: '/v1/messages/batch' },
] as const;

const ListQuery = z.strictObject({
  status: MessageStatus.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

const messageId = /^msg_[0-9a-f]{32}$/;

export async function messagesRoutes(app: FastifyInstance, options: MessagesRoutesOptions): Promise<void> {
  const { engine, orm } = options;
  const profile = engine.profile;

  async function accept(request: FastifyRequest, inputs: SendInput[], batch: boolean) {
    const principal = options.principalOf(request);
    const route = request.routeOptions.url ?? request.url;
    // The key look-up, the wait for a write batch and the batch's transaction: the trace's step
    // whose traceparent the outbox row carries on.
    return inSpan(
      'ingest transaction',
      { parent: request.span, attributes: { 'exactly.messages': inputs.length } },
      async (span) => {
        // With tracing on, the outbox row carries this span's context; off, a span id of our own.
        const traced = tracingEnabled() ? traceparentOf(span) : undefined;
        const outcome = await engine.execute({
          scope: keyScopeOf(request, principal),
          fingerprint: requestFingerprint(request.method, route, request.body),
          requestId: request.id,
          // Message ids, templates' text and the reply are made only when the request executes, never for a replay.
          prepare: async (acceptedAt) =>
            acceptMessages({
              accountId: principal.accountId,
              commands: await renderSends(orm, principal.accountId, inputs, batch),
              batch,
              idempotencyKey: request.idempotencyKey,
              requestId: request.id,
              traceparent: traced ?? traceparentFor(request.headers.traceparent),
              now: acceptedAt,
              newId: options.newId,
              profile,
              maxRecordBytes: options.maxRecordBytes,
            }),
        });
        span.setAttribute('exactly.idempotency.outcome', outcome.kind);
        return outcome;
      },
    );
  }

  app.post('/v1/messages', { config: { idempotent: true } }, async (request, reply) => {
    const input = parseSend(request.body, 'the message');
    return reply.sendIdempotencyOutcome(await accept(request, [input], false));
  });

  app.post('/v1/messages/batch', { config: { idempotent: true } }, async (request, reply) => {
    return reply.sendIdempotencyOutcome(await accept(request, parseBatch(request.body), true));
  });

  app.get<{ Params: { id: string } }>('/v1/messages/:id', async (request, reply) => {
    const { accountId } = options.principalOf(request);
    const found = messageId.test(request.params.id)
      ? await findMessage(orm.em.fork(), accountId, request.params.id)
      : undefined;
    // Another account's message is as absent as one that never existed: 404, never 403.
    if (found === undefined) throw new ExactlyError('not_found', `no message ${request.params.id}`);
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(found));
  });

  app.get('/v1/messages', async (request, reply) => {
    const { accountId } = options.principalOf(request);
    const query = validated(ListQuery, request.query, 'the query');
    const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const page = await listMessages(orm.em.fork(), accountId, {
      limit: query.limit,
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(before === undefined ? {} : { before }),
    });
    const nextCursor = page.more && page.lastId !== undefined ? encodeCursor(page.lastId) : null;
    return reply
      .type('application/json; charset=utf-8')
      .send(JSON.stringify({ data: page.data, nextCursor }));
  });
}

function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const lastId = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!messageId.test(lastId)) {
    throw new ExactlyError('invalid_request', 'the cursor is not one this API gave out', {
      details: { errors: [{ path: 'cursor', message: 'unknown cursor' }] },
    });
  }
  return lastId;
}
