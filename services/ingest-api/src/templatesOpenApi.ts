import {
  CreateTemplate,
  CreateTemplateVersion,
  TemplatedSend,
  TemplatePage,
  TemplateResource,
} from '@exactly/contracts';
import type { IdempotencyProfile } from '@exactly/idempotency';
import type { z } from 'zod';

/** What the main document lends: its schema converter and its shared pieces. */
export interface OpenApiParts {
  jsonSchema: (schema: z.ZodType, io: 'input' | 'output') => Record<string, unknown>;
  ref: (name: string) => unknown;
  wrap: (schema: unknown) => unknown;
  problem: (description: string) => unknown;
  keyParameter: unknown;
  errors: Record<string, unknown>;
}

const createExample = {
  name: 'order-shipped',
  channel: 'email',
  subject: 'Your order {{order}} is on its way',
  text: 'Hi {{name}}, order {{order}} has shipped.{{#vip}} Thanks for being a VIP.{{/vip}}',
  html: '<p>Hi {{name}}, order {{order}} has shipped.</p>',
};

const resourceExample = {
  id: 'tpl_0193a5b0c1d27e3f8a9b0c1d2e3f4a5b',
  name: 'order-shipped',
  channel: 'email',
  latestVersion: 1,
  version: 1,
  subject: createExample.subject,
  text: createExample.text,
  html: createExample.html,
  variables: [
    { name: 'name', type: 'text' },
    { name: 'order', type: 'text' },
    { name: 'vip', type: 'boolean' },
  ],
  createdAt: '2026-12-04T18:00:00.000Z',
  versionCreatedAt: '2026-12-04T18:00:00.000Z',
};

export const templatedSendExample = {
  to: 'ada@example.com',
  from: 'orders@acme.com',
  template: { id: resourceExample.id },
  variables: { name: 'Ada', order: 1042, vip: true },
};

/** The template routes and schemas of the OpenAPI document. */
export function templatesOpenApi(profile: IdempotencyProfile, parts: OpenApiParts) {
  const { ref, wrap, problem, keyParameter, errors } = parts;
  const body = (schema: unknown, example: unknown) => ({
    content: { 'application/json': { schema, example } },
  });
  const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const created = (description: string) => {
    const responses: Record<string, unknown> = {
      '201': {
        description: `${description} (or, marked Idempotent-Replayed: true, the replay of the first reply)`,
        ...body(
          wrap(ref('TemplateResource')),
          profile.envelope === 'data' ? { data: resourceExample } : resourceExample,
        ),
      },
      ...errors,
      '409': problem(
        'A request with this key is still in flight, or another version was made at the same time',
      ),
      '422': problem('The template does not parse (mustache), or uses partials or dotted names'),
    };
    if (profile.onMismatch === 'refuse') {
      const status = String(profile.mismatchStatus);
      responses[status] =
        status in responses
          ? problem(
              `${(responses[status] as { description: string }).description}; or the key was already used with a different request`,
            )
          : problem('The key was already used with a different request');
    }
    return responses;
  };
  return {
    paths: {
      '/v1/templates': {
        post: {
          summary: 'Create a template (version 1)',
          description:
            'Mustache, logic-less: `{{name}}` inserts a variable (HTML-escaped in `html`, as is in `subject` and `text`), `{{{name}}}` inserts it unescaped, `{{#flag}}…{{/flag}}` shows a part when a boolean variable is true.',
          operationId: 'createTemplate',
          parameters: [keyParameter],
          requestBody: { required: true, ...body(ref('CreateTemplate'), createExample) },
          responses: created('Created'),
        },
        get: {
          summary: 'List templates, newest first, each with its latest version',
          operationId: 'listTemplates',
          parameters: [
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'Newest first',
              ...body(ref('TemplatePage'), { data: [resourceExample], nextCursor: null }),
            },
            ...errors,
          },
        },
      },
      '/v1/templates/{id}': {
        get: {
          summary: 'Get a template with its latest version',
          operationId: 'getTemplate',
          parameters: [idParameter],
          responses: {
            '200': { description: 'The template', ...body(ref('TemplateResource'), resourceExample) },
            '404': problem('No such template for this account'),
            ...errors,
          },
        },
      },
      '/v1/templates/{id}/versions': {
        post: {
          summary: 'Create the next version of a template',
          description:
            'Sends that name no version take the latest from now on; accepted sends keep the text they were rendered with.',
          operationId: 'createTemplateVersion',
          parameters: [idParameter, keyParameter],
          requestBody: {
            required: true,
            ...body(ref('CreateTemplateVersion'), {
              subject: 'Order {{order}} shipped',
              text: 'Hi {{name}}, order {{order}} shipped.',
            }),
          },
          responses: { ...created('Created'), '404': problem('No such template for this account') },
        },
      },
      '/v1/templates/{id}/versions/{version}': {
        get: {
          summary: 'Get one version of a template',
          operationId: 'getTemplateVersion',
          parameters: [
            idParameter,
            { name: 'version', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
          ],
          responses: {
            '200': {
              description: 'The template with that version',
              ...body(ref('TemplateResource'), resourceExample),
            },
            '404': problem('No such template or version for this account'),
            ...errors,
          },
        },
      },
    },
    schemas: {
      CreateTemplate: parts.jsonSchema(CreateTemplate, 'input'),
      CreateTemplateVersion: parts.jsonSchema(CreateTemplateVersion, 'input'),
      TemplateResource: parts.jsonSchema(TemplateResource, 'output'),
      TemplatePage: parts.jsonSchema(TemplatePage, 'output'),
      TemplatedSend: parts.jsonSchema(TemplatedSend, 'input'),
    },
  };
}
