import type { IdempotencyProfile } from '@exactly/idempotency';
import { z } from 'zod';
import { TruedyBatchCalls, TruedyCall, VendorEmail } from './seedRequests.js';

interface Helpers {
  keyParameter: Record<string, unknown>;
  createResponses: (resource: unknown) => Record<string, unknown>;
  ref: (name: string) => unknown;
}

function inputSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
}

const body = (schema: unknown, example: unknown) => ({
  required: true,
  content: { 'application/json': { schema, example } },
});

const call = { agent_id: '...', phone_number: '+15551234567', direction: 'outbound' };

/** The OpenAPI paths of the profile's own seed routes (none outside the seed profiles). */
export function seedOpenApiPaths(
  profile: IdempotencyProfile,
  { keyParameter, createResponses, ref }: Helpers,
): Record<string, unknown> {
  if (profile.name === 'txtly' || profile.name === 'getmailer') {
    const route = profile.name === 'txtly' ? '/emails' : '/api/emails';
    const example =
      profile.name === 'txtly'
        ? {
            to: 'user@example.com',
            from: 'noreply@yourdomain.com',
            subject: 'Welcome to Txtly',
            html: '<p>Hello! This is your first email.</p>',
          }
        : {
            from: 'orders@yourdomain.com',
            to: 'customer@example.com',
            subject: 'Order #12345 Confirmed',
            html: '<p>Your order has been confirmed!</p>',
          };
    return {
      [route]: {
        post: {
          summary: `Send one email (${profile.name}'s route; the same command as POST /v1/messages)`,
          operationId: 'sendVendorEmail',
          parameters: [keyParameter],
          requestBody: body(ref('VendorEmail'), example),
          responses: createResponses(ref('MessageResource')),
        },
      },
    };
  }
  if (profile.name === 'truedy') {
    return {
      '/api/public/v1/calls': {
        post: {
          summary: 'Create an outbound call: a voice message to phone_number speaking the agent agent_id',
          operationId: 'createCall',
          parameters: [keyParameter],
          requestBody: body(ref('TruedyCall'), call),
          responses: createResponses(ref('MessageResource')),
        },
      },
      '/api/public/v1/batch-calls': {
        post: {
          summary: 'Create up to 1,000 outbound calls under one key, all or nothing',
          operationId: 'createBatchCalls',
          parameters: [keyParameter],
          requestBody: body(ref('TruedyBatchCalls'), {
            calls: [call, { ...call, phone_number: '+15557654321' }],
          }),
          responses: createResponses(ref('MessageBatchResource')),
        },
      },
    };
  }
  return {};
}

/** The request schemas the seed routes refer to. */
export function seedOpenApiSchemas(profile: IdempotencyProfile): Record<string, unknown> {
  if (profile.name === 'txtly' || profile.name === 'getmailer')
    return { VendorEmail: inputSchema(VendorEmail) };
  if (profile.name === 'truedy') {
    return { TruedyCall: inputSchema(TruedyCall), TruedyBatchCalls: inputSchema(TruedyBatchCalls) };
  }
  return {};
}
