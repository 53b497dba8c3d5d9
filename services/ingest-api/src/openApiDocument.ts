import {
  IdempotencyKeyState,
  MessageBatchResource,
  MessagePage,
  MessageResource,
  MessageStatus,
  SendMessage,
  SendMessageBatch,
} from '@exactly/contracts';
import type { IdempotencyProfile } from '@exactly/idempotency';
import { z } from 'zod';
import { scheduledOpenApi, withSendAt } from './scheduledOpenApi.js';
import { seedOpenApiPaths, seedOpenApiSchemas } from './seedOpenApiPaths.js';
import { templatedSendExample, templatesOpenApi } from './templatesOpenApi.js';
import {
  webhookDeliveryDescription,
  webhookEndpointsPaths,
  webhookEndpointsSchemas,
} from './webhookEndpointsOpenApi.js';

/** RFC 9457 problem details as this API sends them. */
export const ProblemDetailsSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  instance: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });

/** The OpenAPI 3.1 description of the API under a profile, generated from the zod contracts. */
export function openApiDocument(profile: IdempotencyProfile): Record<string, unknown> {
  const wrap = (schema: unknown) =>
    profile.envelope === 'data'
      ? { type: 'object', properties: { data: schema }, required: ['data'] }
      : schema;
  const problem = (description: string) => ({
    description,
    content: { 'application/problem+json': { schema: ref('ProblemDetails') } },
  });
  const errors = {
    '400': problem('Invalid body, malformed JSON, or an invalid idempotency key'),
    '401': problem('Missing, unknown or revoked API key'),
  };
  const keyParameter = {
    name: profile.header,
    in: 'header',
    required: profile.keyRequired,
    description: `Idempotency key (profile \`${profile.name}\`): at most ${profile.keyMaxLength} characters (${profile.keyCharset}), remembered ${profile.retentionMs / 3_600_000} h; a retry with the same key and request replays the first reply.`,
    schema: { type: 'string', minLength: 1, maxLength: profile.keyMaxLength },
  };
  const createResponses = (resource: unknown) => {
    const responses: Record<string, unknown> = {
      [String(profile.createdStatus)]: {
        description: 'Accepted (or, marked Idempotent-Replayed: true, the replay of the first reply)',
        ...json(wrap(resource)),
      },
      ...errors,
      '409': problem('A request with this key is still in flight (see Retry-After)'),
      '413': problem('The body is too large'),
      '415': problem('The body is not application/json'),
    };
    if (profile.onMismatch === 'replay') return responses;
    const mismatch = String(profile.mismatchStatus);
    const earlier = (responses[mismatch] as { description?: string } | undefined)?.description;
    responses[mismatch] = problem(
      `${earlier ? `${earlier}; or ` : ''}the key was already used with a different request`,
    );
    return responses;
  };
  const templates = templatesOpenApi(profile, { jsonSchema, ref, wrap, problem, keyParameter, errors });
  const sendResponses = (resource: unknown) => {
    const responses = createResponses(resource);
    const earlier = (responses['422'] as { description?: string } | undefined)?.description;
    responses['422'] = problem(
      `${earlier ? `${earlier}; or ` : ''}a named template or version does not exist, or the variables do not fit it (each one named in errors)`,
    );
    return responses;
  };
  const scheduled = scheduledOpenApi(profile, { ref, json, problem, wrap, errors, keyParameter });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Exactly ingest API',
      version: '1.0.0',
      description: 'Send commands (email, SMS, voice), each accepted exactly once per idempotency key.',
    },
    // Relative: the document is served by the API it describes, wherever that is reached.
    servers: [{ url: '/', description: 'the server that serves this document' }],
    security: [{ apiKey: [] }],
    paths: {
      '/v1/messages': {
        post: {
          summary: 'Send one message',
          operationId: 'sendMessage',
          parameters: [keyParameter],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { oneOf: [ref('SendMessage'), ref('TemplatedSend')] },
                examples: {
                  content: {
                    summary: 'With its content',
                    value: {
                      channel: 'email',
                      to: 'ada@example.com',
                      from: 'orders@acme.com',
                      subject: 'Order confirmed',
                      text: 'Your order is on its way.',
                    },
                  },
                  template: {
                    summary: 'From a template, rendered once when accepted',
                    value: templatedSendExample,
                  },
                  later: { summary: 'Scheduled: sent at send_at', value: scheduled.examples.later },
                },
              },
            },
          },
          responses: sendResponses(ref('MessageResource')),
        },
        get: {
          summary: 'List messages, newest first',
          operationId: 'listMessages',
          parameters: [
            { name: 'status', in: 'query', schema: jsonSchema(MessageStatus, 'input') },
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          responses: { '200': { description: 'Newest first', ...json(ref('MessagePage')) }, ...errors },
        },
      },
      '/v1/messages/batch': {
        post: {
          summary: 'Send up to 1,000 messages under one key',
          operationId: 'sendMessageBatch',
          parameters: [keyParameter],
          requestBody: {
            required: true,
            ...json(
              withSendAt({
                type: 'object',
                properties: {
                  messages: {
                    type: 'array',
                    minItems: 1,
                    maxItems: 1_000,
                    items: { oneOf: [ref('SendMessage'), ref('TemplatedSend')] },
                  },
                },
                required: ['messages'],
                additionalProperties: false,
              }),
            ),
          },
          responses: sendResponses(ref('MessageBatchResource')),
        },
      },
      '/v1/messages/{id}': {
        get: {
          summary: 'Get a message and its event timeline',
          operationId: 'getMessage',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'The message with its event timeline', ...json(ref('MessageResource')) },
            '404': problem('No such message for this account'),
            ...errors,
          },
        },
        ...scheduled.messagePaths,
      },
      '/v1/messages/{id}/cancel': scheduled.cancelPath,
      '/v1/idempotency-keys/{key}': {
        get: {
          summary: 'Get the state of an idempotency key',
          operationId: 'getIdempotencyKey',
          description:
            'With `wait`, the request is held until every message of the key is terminal (sent, failed, cancelled) or the wait ends; the answer then has `messages` and `done`. An unknown key is answered at once.',
          parameters: [
            { name: 'key', in: 'path', required: true, schema: { type: 'string' }, example: 'order-1042' },
            {
              name: 'wait',
              in: 'query',
              description:
                'How long to hold the request for a terminal result: `30s`, `1500ms`, `1m` or a bare number of seconds, at most KEY_WAIT_MAX (50 s by default). Anything else is 400.',
              schema: { type: 'string', pattern: '^\\d{1,9}(ms|s|m)?$' },
              example: '30s',
            },
          ],
          responses: {
            '200': {
              description:
                'In progress, completed (with message ids) or unknown; with `wait`, also `messages` and `done`',
              content: {
                'application/json': {
                  schema: ref('IdempotencyKeyState'),
                  example: {
                    key: 'order-1042',
                    state: 'completed',
                    messageIds: ['msg_0193a1b2c3d47e8f9a0b1c2d3e4f5a6b'],
                    createdAt: '2026-12-04T18:00:00.000Z',
                    expiresAt: '2026-12-05T18:00:00.000Z',
                    messages: [{ id: 'msg_0193a1b2c3d47e8f9a0b1c2d3e4f5a6b', status: 'sent' }],
                    done: true,
                  },
                },
              },
            },
            ...errors,
          },
        },
      },
      ...seedOpenApiPaths(profile, { keyParameter, createResponses, ref }),
      ...templates.paths,
      ...webhookEndpointsPaths({
        keyParameter,
        wrap,
        problem,
        errors,
        mismatchStatus: profile.onMismatch === 'refuse' ? profile.mismatchStatus : undefined,
      }),
    },
    webhooks: webhookDeliveryDescription,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: ex_...' } },
      schemas: {
        SendMessage: withSendAt(jsonSchema(SendMessage, 'input')),
        SendMessageBatch: withSendAt(jsonSchema(SendMessageBatch, 'input')),
        MessagePatch: scheduled.schemas.MessagePatch,
        MessageResource: jsonSchema(MessageResource, 'output'),
        MessageBatchResource: jsonSchema(MessageBatchResource, 'output'),
        MessagePage: jsonSchema(MessagePage, 'output'),
        IdempotencyKeyState: jsonSchema(IdempotencyKeyState, 'output'),
        ProblemDetails: jsonSchema(ProblemDetailsSchema, 'output'),
        ...seedOpenApiSchemas(profile),
        ...templates.schemas,
        // A templated send may be scheduled like one with its content.
        TemplatedSend: withSendAt(templates.schemas.TemplatedSend as Record<string, unknown>),
        ...webhookEndpointsSchemas,
      },
    },
  };
}
