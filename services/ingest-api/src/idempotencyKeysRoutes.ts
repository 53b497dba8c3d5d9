import type { IdempotencyKeyState } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import { type IdempotencyEngine, type KeyState, parseIdempotencyKeyValue } from '@exactly/idempotency';
import type { Orm } from '@exactly/persistence';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AcceptedMessages } from './acceptMessages.js';
import { awaitKeyResult } from './awaitKeyResult.js';
import type { Principal } from './createApiKeyAuthenticator.js';
import type { KeyWaitMetrics, KeyWaitOutcome } from './createKeyWaitMetrics.js';
import { onceClosed } from './onceClosed.js';
import { parseWait } from './parseWait.js';
import { readMessageStatuses, terminalStatuses } from './readMessageStatuses.js';
import type { IdempotentEndpoint } from './trackIdempotentRoutes.js';

export interface IdempotencyKeysRoutesOptions {
  engine: IdempotencyEngine<AcceptedMessages>;
  principalOf: (request: FastifyRequest) => Principal;
  orm: Orm;
  /** The longest `?wait=` (KEY_WAIT_MAX). */
  maxWaitMs: number;
  waits: KeyWaitMetrics;
  /** The idempotent routes, as registered (their records are where a key can be). */
  endpoints: readonly IdempotentEndpoint[];
}

/**
 * `GET /v1/idempotency-keys/{key}`: the state of the caller's key, so a client can stop retrying
 * blind; with `?wait=30s`, held until the key's messages are terminal, so it can stop polling.
 */
export async function idempotencyKeysRoutes(
  app: FastifyInstance,
  { engine, principalOf, orm, maxWaitMs, waits, endpoints }: IdempotencyKeysRoutesOptions,
): Promise<void> {
  // A closing server answers its waiting requests at once rather than holding its shutdown.
  const closing = new AbortController();
  app.addHook('preClose', async () => closing.abort());

  app.get<{ Params: { key: string }; Querystring: { wait?: unknown } }>(
    '/v1/idempotency-keys/:key',
    async (request, reply) => {
      const parsed = parseIdempotencyKeyValue(request.params.key, engine.profile);
      if (parsed.kind !== 'key') {
        throw new ExactlyError(
          'idempotency_key_invalid',
          parsed.kind === 'invalid' ? parsed.reason : 'the key is empty',
          { details: { header: engine.profile.header } },
        );
      }
      const waitMs = parseWait(request.query.wait, maxWaitMs);
      const principal = principalOf(request);
      const look = async () => stateBody(parsed.key, await engine.keyState(principal, parsed.key, endpoints));
      let body: IdempotencyKeyState;
      if (waitMs === undefined) body = await look();
      else {
        // One controller, aborted by plain listeners removed at the end (AbortSignal.any holds its
        // sources weakly, and a signal lost to GC would leave the wait running).
        const gone = new AbortController();
        let disconnected = false;
        const onClosing = () => gone.abort();
        const onDisconnect = () => {
          disconnected = true;
          gone.abort();
        };
        closing.signal.addEventListener('abort', onClosing, { once: true });
        onceClosed(reply.raw, onDisconnect);
        if (closing.signal.aborted) gone.abort();
        waits.started();
        let outcome: KeyWaitOutcome = 'error';
        try {
          body = await awaitKeyResult({
            waitMs,
            signal: gone.signal,
            check: async () => {
              const state = await look();
              const ids = state.messageIds ?? [];
              const messages =
                state.state === 'completed'
                  ? await readMessageStatuses(orm.em.fork(), principal.accountId, ids)
                  : [];
              const done =
                messages.length > 0 && messages.every((message) => terminalStatuses.has(message.status));
              // An unknown key, or one that sent no message (a template's create), has nothing to
              // wait for: the client learns that at once.
              const sentNothing = state.state === 'completed' && ids.length === 0;
              const finished = done || sentNothing;
              return {
                settled: finished || state.state === 'unknown',
                value: { ...state, messages, done: finished },
              };
            },
          });
          outcome = waitOutcome(body, closing.signal.aborted, disconnected);
        } finally {
          closing.signal.removeEventListener('abort', onClosing);
          reply.raw.off('close', onDisconnect);
          waits.ended(outcome);
        }
        // A closing server ends the connection with this answer rather than keeping it alive.
        if (closing.signal.aborted) reply.header('connection', 'close');
      }
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
    },
  );
}

function waitOutcome(body: IdempotencyKeyState, closing: boolean, disconnected: boolean): KeyWaitOutcome {
  if (body.done === true) return 'done';
  if (body.state === 'unknown') return 'unknown_key';
  return closing ? 'closing' : disconnected ? 'disconnected' : 'timeout';
}

/** Message ids apart: a key may have created a template or a webhook endpoint instead. */
function idsOf(resourceIds: readonly string[]) {
  const messageIds = resourceIds.filter((id) => id.startsWith('msg_'));
  return {
    ...(messageIds.length > 0 ? { messageIds } : {}),
    ...(resourceIds.length > 0 ? { resourceIds: [...resourceIds] } : {}),
  };
}

function stateBody(key: string, found: KeyState): IdempotencyKeyState {
  return {
    key,
    state: found.state,
    ...idsOf(found.resourceIds),
    ...(found.createdAt ? { createdAt: found.createdAt.toISOString() } : {}),
    ...(found.expiresAt ? { expiresAt: found.expiresAt.toISOString() } : {}),
    ...(found.endpoints
      ? {
          endpoints: found.endpoints.map((endpoint) => ({
            endpoint: `${endpoint.method} ${endpoint.route}`,
            state: endpoint.state,
            ...idsOf(endpoint.resourceIds),
            ...(endpoint.createdAt ? { createdAt: endpoint.createdAt.toISOString() } : {}),
            ...(endpoint.expiresAt ? { expiresAt: endpoint.expiresAt.toISOString() } : {}),
          })),
        }
      : {}),
  };
}
