import { validated } from '@exactly/config';
import { MessagePatch, SendMessage } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import {
  createIdempotencyEngine,
  type IdempotencyProfile,
  keyScopeOf,
  requestFingerprint,
} from '@exactly/idempotency';
import {
  type NewEvent,
  readScheduledSend,
  type ScheduleChangeEvent,
  type ScheduledMessage,
} from '@exactly/message-store';
import type { Orm } from '@exactly/persistence';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from './createApiKeyAuthenticator.js';
import { assertChangeable, changedFields, changedResource, type ScheduledChange } from './scheduledChange.js';
import { sendAtFrom, takeSendAt } from './takeSendAt.js';
import { traceparentFor } from './traceparent.js';
import { scheduledChangesStored, writeScheduledChanges } from './writeScheduledChanges.js';

export interface ScheduledMessagesRoutesOptions {
  orm: Orm;
  profile: IdempotencyProfile;
  principalOf: (request: FastifyRequest) => Principal;
  eventsTopic: string;
  leaseMs: number;
  waitTimeoutMs: number;
  /** After a change committed (wakes the relay). */
  afterCommit: () => void;
}

const messageId = /^msg_[0-9a-f]{32}$/;
/** A change that lost a race with another change is decided again from the new state, this often. */
const maxRounds = 3;

/** A message that is (or was) a scheduled send, as `assertChangeable` lets through. */
type Changeable = ScheduledMessage & { schedule: NonNullable<ScheduledMessage['schedule']> };

type Decide = (
  message: Changeable,
  now: Date,
) => Omit<ScheduledChange, 'accountId' | 'messageId' | 'requestId' | 'scheduleVersion'>;

/**
 * `PATCH /v1/messages/{id}` (a new time or content), `PUT /v1/messages/{id}` (the whole send
 * replaced) and `POST /v1/messages/{id}/cancel`, for a scheduled send not yet due. Each honours
 * the profile's idempotency key on the methods the profile lists (txtly: POST, PATCH and PUT; the
 * default: POST only, where PATCH and PUT carry absolute values and repeat safely). A change that
 * arrives after the send started answers 409 `send_started`.
 */
export async function scheduledMessagesRoutes(
  app: FastifyInstance,
  options: ScheduledMessagesRoutesOptions,
): Promise<void> {
  const { orm, profile } = options;
  const engine = createIdempotencyEngine<ScheduledChange>({
    orm,
    profile,
    writeEffects: writeScheduledChanges(options.eventsTopic),
    findWrittenEffects: scheduledChangesStored,
    afterCommit: options.afterCommit,
    leaseMs: options.leaseMs,
    waitTimeoutMs: options.waitTimeoutMs,
    // The cleanup of expired keys is the message engine's; both share the records.
    replayCacheSize: 1_000,
  });
  app.addHook('onClose', async () => engine.close());

  async function change(
    request: FastifyRequest<{ Params: { id: string } }>,
    reply: FastifyReply,
    kind: ScheduledChange['kind'],
    decide: Decide,
  ) {
    const principal = options.principalOf(request);
    const id = request.params.id;
    if (!messageId.test(id)) throw new ExactlyError('not_found', `no message ${id}`);
    const route = request.routeOptions.url ?? request.url;
    for (let round = 1; ; round += 1) {
      const message = await readScheduledSend(orm.em.fork(), principal.accountId, id);
      try {
        const outcome = await engine.execute({
          scope: keyScopeOf(request, principal),
          fingerprint: requestFingerprint(request.method, route, request.body),
          requestId: request.id,
          // Checked only when the request executes: a retry of a change that succeeded replays its
          // reply (where the profile keys the method) even once the send has started.
          prepare: (acceptedAt) => {
            assertChangeable(message, id, kind);
            const decided = decide(message, acceptedAt);
            const effect: ScheduledChange = {
              ...decided,
              accountId: principal.accountId,
              messageId: id,
              requestId: request.id,
              scheduleVersion: message.schedule.version,
              events: decided.events.map((event) => ({
                ...event,
                metadata: { requestId: request.id, traceparent: traceparentFor(request.headers.traceparent) },
              })),
            };
            const resource = changedResource(message, effect);
            const body = JSON.stringify(profile.envelope === 'data' ? { data: resource } : resource);
            return {
              effect,
              reply: { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body },
              resourceIds: [id],
            };
          },
        });
        return reply.sendIdempotencyOutcome(outcome);
      } catch (error) {
        if (round >= maxRounds || !(error instanceof ExactlyError) || error.code !== 'concurrency_conflict')
          throw error;
      }
    }
  }

  app.patch<{ Params: { id: string } }>(
    '/v1/messages/:id',
    { config: { idempotent: true } },
    (request, reply) => {
      const patch = validated(MessagePatch, request.body, 'the change');
      const { send_at: sendAtText, ...fields } = patch;
      const sendAt = sendAtText === undefined ? undefined : sendAtFrom(sendAtText, new Date());
      return change(request, reply, 'patch', (message) => {
        const events: NewEvent<ScheduleChangeEvent>[] = [];
        const merged = Object.keys(fields).length === 0 ? undefined : mergedCommand(message.content, fields);
        const fieldsChanged = merged === undefined ? [] : changedFields(message.content, merged);
        if (fieldsChanged.length > 0)
          events.push({ type: 'MessageChanged', data: { fields: fieldsChanged, replaced: false } });
        const moved = sendAt !== undefined && sendAt.getTime() !== message.schedule.dueAt.getTime();
        if (moved) events.push(rescheduled(message.schedule.dueAt, sendAt));
        return {
          kind: 'patch',
          events,
          ...(fieldsChanged.length > 0 && merged ? { content: merged } : {}),
          ...(moved ? { dueAt: sendAt } : {}),
        };
      });
    },
  );

  app.put<{ Params: { id: string } }>(
    '/v1/messages/:id',
    { config: { idempotent: true } },
    (request, reply) => {
      const { body, sendAt } = takeSendAt(request.body, new Date());
      const command = validated(SendMessage, body, 'the message') as SendMessage & Record<string, unknown>;
      return change(request, reply, 'put', (message) => {
        const events: NewEvent<ScheduleChangeEvent>[] = [];
        const fieldsChanged = changedFields(message.content, command);
        if (fieldsChanged.length > 0)
          events.push({ type: 'MessageChanged', data: { fields: fieldsChanged, replaced: true } });
        const moved = sendAt !== undefined && sendAt.getTime() !== message.schedule.dueAt.getTime();
        if (moved) events.push(rescheduled(message.schedule.dueAt, sendAt));
        return {
          kind: 'put',
          events,
          ...(fieldsChanged.length > 0 ? { content: command } : {}),
          ...(moved ? { dueAt: sendAt } : {}),
        };
      });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/messages/:id/cancel',
    { config: { idempotent: true } },
    (request, reply) =>
      change(request, reply, 'cancel', (message) => ({
        kind: 'cancel',
        // Cancelling a cancelled send changes nothing and answers as the first cancel did.
        events:
          message.schedule.state === 'cancelled'
            ? []
            : [{ type: 'MessageCancelled', data: { sendAt: message.schedule.dueAt.toISOString() } }],
      })),
  );
}

function rescheduled(previous: Date, sendAt: Date): NewEvent<ScheduleChangeEvent> {
  return {
    type: 'MessageRescheduled',
    data: { sendAt: sendAt.toISOString(), previousSendAt: previous.toISOString() },
  };
}

/** The message's command with the patch's fields, validated as a whole send (the channel stays). */
function mergedCommand(
  content: Record<string, unknown>,
  fields: Record<string, unknown>,
): SendMessage & Record<string, unknown> {
  return validated(SendMessage, { ...content, ...fields }, 'the changed message') as SendMessage &
    Record<string, unknown>;
}
