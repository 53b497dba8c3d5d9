import type { IdempotencyEngine } from '@exactly/idempotency';
import { keyScopeOf, requestFingerprint } from '@exactly/idempotency';
import { inSpan, traceparentOf, tracingEnabled } from '@exactly/observability';
import type { Orm } from '@exactly/persistence';
import type { FastifyRequest } from 'fastify';
import { type AcceptedMessages, acceptMessages } from './acceptMessages.js';
import type { Principal } from './createApiKeyAuthenticator.js';
import { renderSends, type SendInput } from './renderSends.js';
import { traceparentFor } from './traceparent.js';

export interface SendAcceptorOptions {
  orm: Orm;
  engine: IdempotencyEngine<AcceptedMessages>;
  newId: (prefix: string) => string;
  principalOf: (request: FastifyRequest) => Principal;
  /** `max.message.bytes` of the commands topic. */
  maxRecordBytes: number;
}

/** Accepts parsed sends under the request's idempotency key; `sendAt[i]` schedules item i. */
export type SendAcceptor = ReturnType<typeof createSendAcceptor>;

/**
 * The one way a route turns sends into accepted messages: the key's engine, templates rendered
 * once, the outbox rows, and the `ingest transaction` span whose traceparent the outbox row
 * carries on. `/v1/messages` and each seed's vendor routes use it alike.
 */
export function createSendAcceptor(options: SendAcceptorOptions) {
  const { engine, orm } = options;
  const profile = engine.profile;
  return async function accept(
    request: FastifyRequest,
    inputs: SendInput[],
    batch: boolean,
    sendAt?: (Date | undefined)[],
  ) {
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
              ...(await renderSends(orm, principal.accountId, inputs, batch)),
              batch,
              idempotencyKey: request.idempotencyKey,
              requestId: request.id,
              traceparent: traced ?? traceparentFor(request.headers.traceparent),
              now: acceptedAt,
              newId: options.newId,
              profile,
              maxRecordBytes: options.maxRecordBytes,
              ...(sendAt === undefined ? {} : { sendAt }),
            }),
        });
        span.setAttribute('exactly.idempotency.outcome', outcome.kind);
        return outcome;
      },
    );
  };
}
