import { MessagePatch, SendAt } from '@exactly/contracts';
import type { IdempotencyProfile } from '@exactly/idempotency';
import { z } from 'zod';

const sendAtSchema = {
  ...(z.toJSONSchema(SendAt, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>),
  description:
    'When to send (RFC 3339 with an offset). Not after the moment of acceptance: sent now. At most 30 days ahead. Until it is due the message is `scheduled` and can be changed (PATCH, PUT) or cancelled.',
};
delete (sendAtSchema as { $schema?: unknown }).$schema;

/** A send command's JSON Schema with the optional `send_at` on each of its channel variants. */
export function withSendAt(schema: Record<string, unknown>): Record<string, unknown> {
  const addTo = (variant: unknown) => {
    const object = variant as { properties?: Record<string, unknown> };
    return object.properties
      ? { ...object, properties: { ...object.properties, send_at: sendAtSchema } }
      : variant;
  };
  const copy: Record<string, unknown> = { ...schema };
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(copy[key])) copy[key] = (copy[key] as unknown[]).map(addTo);
  }
  const withItems = addTo(copy) as { properties?: { messages?: { items?: Record<string, unknown> } } };
  // A batch: `send_at` at the top for every message, and on each message for itself.
  const items = withItems.properties?.messages?.items;
  if (items === undefined || withItems.properties === undefined) return withItems as Record<string, unknown>;
  return {
    ...withItems,
    properties: {
      ...withItems.properties,
      messages: { ...withItems.properties.messages, items: withSendAt(items) },
    },
  };
}

function withoutSendAt({ send_at: _ignored, ...rest }: typeof example) {
  return rest;
}

interface Helpers {
  ref: (name: string) => unknown;
  json: (schema: unknown) => Record<string, unknown>;
  problem: (description: string) => unknown;
  wrap: (schema: unknown) => unknown;
  errors: Record<string, unknown>;
  keyParameter: Record<string, unknown>;
}

const example = {
  channel: 'email',
  to: 'ada@example.com',
  from: 'orders@acme.com',
  subject: 'Your order ships tomorrow',
  text: 'We will let you know when it leaves.',
  send_at: '2026-12-24T09:00:00+01:00',
};

/** The routes that change a scheduled send: PATCH and PUT of `/v1/messages/{id}`, and its cancel. */
export function scheduledOpenApi(profile: IdempotencyProfile, helpers: Helpers) {
  const { ref, json, problem, wrap, errors } = helpers;
  const keyFor = (method: 'PATCH' | 'PUT' | 'POST') =>
    (profile.methods as readonly string[]).includes(method) ? [helpers.keyParameter] : [];
  const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const responses = {
    '200': {
      description:
        'The message after the change (or, marked Idempotent-Replayed: true, the replay of the first reply)',
      ...json(wrap(ref('MessageResource'))),
    },
    ...errors,
    '404': problem('No such message for this account'),
    '409': problem(
      'send_started: the send was due and has started; message_cancelled: it was cancelled; not_scheduled: it was sent right away; or a request with this key is still in flight',
    ),
  };
  return {
    schemas: {
      MessagePatch: (() => {
        const { $schema: _ignored, ...rest } = z.toJSONSchema(MessagePatch, {
          target: 'draft-2020-12',
          io: 'input',
          unrepresentable: 'any',
        }) as Record<string, unknown>;
        return rest;
      })(),
    },
    examples: { now: withoutSendAt(example), later: example },
    messagePaths: {
      patch: {
        summary: 'Change a scheduled message: its time, its content, or both',
        operationId: 'changeMessage',
        parameters: [idParameter, ...keyFor('PATCH')],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: ref('MessagePatch'),
              examples: {
                reschedule: { value: { send_at: '2026-12-24T10:30:00+01:00' } },
                edit: { value: { subject: 'Your order ships today', send_at: '2026-12-23T17:00:00Z' } },
              },
            },
          },
        },
        responses,
      },
      put: {
        summary: 'Replace a scheduled message (send_at optional: the time stays unless given)',
        operationId: 'replaceMessage',
        parameters: [idParameter, ...keyFor('PUT')],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: ref('SendMessage'), examples: { replace: { value: example } } },
          },
        },
        responses,
      },
    },
    cancelPath: {
      post: {
        summary: 'Cancel a scheduled message (terminal: it is never sent)',
        operationId: 'cancelMessage',
        parameters: [idParameter, ...keyFor('POST')],
        responses,
      },
    },
  };
}
