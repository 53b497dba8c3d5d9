import {
  CreateWebhookEndpoint,
  UpdateWebhookEndpoint,
  WebhookDelivery,
  WebhookEndpoint,
} from '@exactly/contracts';
import { z } from 'zod';

/** What the document's builder shares with this part of it. */
export interface OpenApiParts {
  keyParameter: Record<string, unknown>;
  /** The single resource in the profile's envelope (`{ data }` or none). */
  wrap: (schema: unknown) => unknown;
  problem: (description: string) => unknown;
  errors: Record<string, unknown>;
  /** The profile's answer to a key reused with another request, when it refuses one. */
  mismatchStatus: number | undefined;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown, example?: unknown) => ({
  content: { 'application/json': { schema, ...(example === undefined ? {} : { example }) } },
});

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io }) as Record<
    string,
    unknown
  >;
  return rest;
}

const endpointExample = {
  id: 'whe_01938a7c2d4e7f00a1b2c3d4e5f60718',
  accountId: 'acc_01938a7c2d4e7f00a1b2c3d4e5f60001',
  url: 'https://hooks.example.com/exactly',
  description: 'order notifications',
  eventTypes: ['ProviderAccepted', 'MessageFailed'],
  disabled: false,
  disabledAt: null,
  disabledReason: null,
  health: {
    lastSuccessAt: '2026-12-04T18:00:02.000Z',
    lastFailureAt: null,
    lastError: null,
    failingStreak: 0,
  },
  createdAt: '2026-12-04T17:59:00.000Z',
  updatedAt: '2026-12-04T17:59:00.000Z',
};

export const webhookEndpointsSchemas = {
  CreateWebhookEndpoint: jsonSchema(CreateWebhookEndpoint, 'input'),
  UpdateWebhookEndpoint: jsonSchema(UpdateWebhookEndpoint, 'input'),
  WebhookEndpoint: jsonSchema(WebhookEndpoint, 'output'),
  CreatedWebhookEndpoint: {
    allOf: [
      ref('WebhookEndpoint'),
      {
        type: 'object',
        required: ['secret'],
        properties: {
          secret: { type: 'string', description: 'whsec_...: shown here and by rotate-secret only' },
        },
      },
    ],
  },
  WebhookDelivery: jsonSchema(WebhookDelivery, 'output'),
  WebhookPayload: {
    type: 'object',
    required: ['type', 'timestamp', 'data'],
    properties: {
      type: {
        type: 'string',
        description: 'The message event: MessageAccepted, ProviderAccepted, MessageFailed...',
      },
      timestamp: { type: 'string', format: 'date-time' },
      data: {
        type: 'object',
        required: ['messageId', 'accountId', 'version'],
        properties: {
          messageId: { type: 'string' },
          accountId: { type: 'string' },
          version: { type: 'integer' },
        },
        additionalProperties: true,
      },
    },
  },
};

/** The `/v1/webhook-endpoints` paths, with examples. */
export function webhookEndpointsPaths({ keyParameter, wrap, problem, errors, mismatchStatus }: OpenApiParts) {
  const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const oneEndpoint = (description: string, example: unknown = endpointExample) => ({
    '200': { description, ...json(wrap(ref('WebhookEndpoint')), example) },
    '404': problem('No such endpoint for this account'),
    ...errors,
  });
  return {
    '/v1/webhook-endpoints': {
      post: {
        summary: 'Register a webhook endpoint',
        description:
          'Idempotent under the profile’s key. The URL must be public unless the operator allows private addresses; the answer carries the signing secret.',
        operationId: 'createWebhookEndpoint',
        parameters: [keyParameter],
        requestBody: {
          required: true,
          ...json(ref('CreateWebhookEndpoint'), {
            url: 'https://hooks.example.com/exactly',
            description: 'order notifications',
            eventTypes: ['ProviderAccepted', 'MessageFailed'],
          }),
        },
        responses: {
          '201': {
            description: 'Created (or, marked Idempotent-Replayed: true, the replay of the first reply)',
            ...json(wrap(ref('CreatedWebhookEndpoint')), {
              ...endpointExample,
              secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
            }),
          },
          ...errors,
          '409': problem('A request with this key is still in flight'),
          ...(mismatchStatus === undefined
            ? {}
            : {
                [String(mismatchStatus)]: problem(
                  'The key was already used with a different request (or the body is invalid)',
                ),
              }),
        },
      },
      get: {
        summary: 'List webhook endpoints with their health',
        operationId: 'listWebhookEndpoints',
        responses: {
          '200': {
            description: 'Every endpoint of the account',
            ...json(
              { type: 'object', properties: { data: { type: 'array', items: ref('WebhookEndpoint') } } },
              { data: [endpointExample] },
            ),
          },
          ...errors,
        },
      },
    },
    '/v1/webhook-endpoints/{id}': {
      get: {
        summary: 'Get a webhook endpoint and its health',
        operationId: 'getWebhookEndpoint',
        parameters: [idParameter],
        responses: oneEndpoint('The endpoint'),
      },
      patch: {
        summary: 'Change the URL, description or event filter',
        operationId: 'updateWebhookEndpoint',
        parameters: [idParameter],
        requestBody: {
          required: true,
          ...json(ref('UpdateWebhookEndpoint'), { eventTypes: ['MessageFailed'] }),
        },
        responses: oneEndpoint('The changed endpoint'),
      },
    },
    '/v1/webhook-endpoints/{id}/disable': {
      post: {
        summary: 'Disable an endpoint (recorded as a WebhookEndpointDisabled event)',
        operationId: 'disableWebhookEndpoint',
        parameters: [idParameter],
        requestBody: {
          required: false,
          ...json({ type: 'object', properties: { reason: { type: 'string' } } }, { reason: 'maintenance' }),
        },
        responses: oneEndpoint('The disabled endpoint', {
          ...endpointExample,
          disabled: true,
          disabledAt: '2026-12-04T18:10:00.000Z',
          disabledReason: 'maintenance',
        }),
      },
    },
    '/v1/webhook-endpoints/{id}/enable': {
      post: {
        summary: 'Enable an endpoint again (its failing streak starts from zero)',
        operationId: 'enableWebhookEndpoint',
        parameters: [idParameter],
        responses: oneEndpoint('The enabled endpoint'),
      },
    },
    '/v1/webhook-endpoints/{id}/rotate-secret': {
      post: {
        summary: 'Rotate the signing secret',
        description:
          'The previous secret keeps signing beside the new one (two signatures in webhook-signature) until previousSecretUntil.',
        operationId: 'rotateWebhookSecret',
        parameters: [idParameter],
        responses: {
          '200': {
            description: 'The new secret',
            ...json(
              wrap({
                type: 'object',
                properties: {
                  secret: { type: 'string' },
                  previousSecretUntil: { type: 'string', format: 'date-time' },
                },
              }),
              {
                secret: 'whsec_2fK0mJx1bq8c5x3XhR0wO9P6yN7tZ4uL',
                previousSecretUntil: '2026-12-05T18:10:00.000Z',
              },
            ),
          },
          '404': problem('No such endpoint for this account'),
          ...errors,
        },
      },
    },
    '/v1/webhook-endpoints/{id}/replay': {
      post: {
        summary: 'Send the deliveries of events at or after a time again, with the same webhook-ids',
        operationId: 'replayWebhookDeliveries',
        parameters: [idParameter],
        requestBody: {
          required: true,
          ...json(
            {
              type: 'object',
              required: ['since'],
              properties: { since: { type: 'string', format: 'date-time' } },
            },
            { since: '2026-12-04T00:00:00Z' },
          ),
        },
        responses: {
          '202': {
            description: 'The deliveries queued again',
            ...json(
              wrap({
                type: 'object',
                properties: {
                  endpointId: { type: 'string' },
                  since: { type: 'string', format: 'date-time' },
                  deliveries: { type: 'integer' },
                },
              }),
              { endpointId: endpointExample.id, since: '2026-12-04T00:00:00Z', deliveries: 42 },
            ),
          },
          '404': problem('No such endpoint for this account'),
          ...errors,
        },
      },
    },
    '/v1/webhook-endpoints/{id}/deliveries': {
      get: {
        summary: 'The latest deliveries of an endpoint',
        operationId: 'listWebhookDeliveries',
        parameters: [idParameter],
        responses: {
          '200': {
            description: 'Newest event first',
            ...json({
              type: 'object',
              properties: { data: { type: 'array', items: ref('WebhookDelivery') } },
            }),
          },
          '404': problem('No such endpoint for this account'),
          ...errors,
        },
      },
    },
    '/v1/webhook-endpoints/{id}/events': {
      get: {
        summary: 'The endpoint’s own events (disabled, enabled, secret rotated, replay requested)',
        operationId: 'listWebhookEndpointEvents',
        parameters: [idParameter],
        responses: {
          '200': {
            description: 'Newest first',
            ...json(
              {
                type: 'object',
                properties: {
                  data: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        type: { type: 'string' },
                        data: { type: 'object' },
                        at: { type: 'string' },
                      },
                    },
                  },
                },
              },
              {
                data: [
                  {
                    type: 'WebhookEndpointDisabled',
                    data: {
                      reason: 'delivery whd_... failed for the whole retry period (last: HTTP 500)',
                      by: 'delivery',
                    },
                    at: '2026-12-05T18:00:00.000Z',
                  },
                ],
              },
            ),
          },
          '404': problem('No such endpoint for this account'),
          ...errors,
        },
      },
    },
  };
}

/** OpenAPI 3.1 `webhooks`: what an endpoint receives. */
export const webhookDeliveryDescription = {
  messageEvent: {
    post: {
      summary: 'A message event, signed as Standard Webhooks specifies',
      description:
        'Verify webhook-signature (HMAC-SHA256 of `webhook-id.webhook-timestamp.body` with the endpoint secret; the SDK’s verifyWebhook does it) and deduplicate on webhook-id: retries and replays carry the same id. Answer 2xx within the timeout; anything else is retried with backoff.',
      operationId: 'receiveMessageEvent',
      parameters: [
        { name: 'webhook-id', in: 'header', required: true, schema: { type: 'string' } },
        { name: 'webhook-timestamp', in: 'header', required: true, schema: { type: 'string' } },
        { name: 'webhook-signature', in: 'header', required: true, schema: { type: 'string' } },
      ],
      requestBody: {
        required: true,
        ...json(ref('WebhookPayload'), {
          type: 'ProviderAccepted',
          timestamp: '2026-12-04T18:00:01.000Z',
          data: {
            messageId: 'msg_01938a7c2d4e7f00a1b2c3d4e5f60aaa',
            accountId: 'acc_01938a7c2d4e7f00a1b2c3d4e5f60001',
            version: 3,
            provider: 'http',
            attempt: 1,
          },
        }),
      },
      responses: { '200': { description: 'Received' } },
    },
  },
};
