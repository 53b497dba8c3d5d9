import { validated } from '@exactly/config';
import { CreateTemplate, CreateTemplateVersion, type TemplateResource } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import {
  createIdempotencyEngine,
  type IdempotencyProfile,
  keyScopeOf,
  requestFingerprint,
  type StoredReply,
} from '@exactly/idempotency';
import type { Orm } from '@exactly/persistence';
import {
  checkTemplateContent,
  findTemplate,
  listTemplates,
  type NewTemplateVersion,
  type TemplateWrite,
  templateVariables,
  templateWritesStored,
  writeTemplates,
} from '@exactly/template-store';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from './createApiKeyAuthenticator.js';

export interface TemplatesRoutesOptions {
  orm: Orm;
  profile: IdempotencyProfile;
  newId: (prefix: string) => string;
  principalOf: (request: FastifyRequest) => Principal;
  leaseMs: number;
  waitTimeoutMs: number;
}

export const templateId = /^tpl_[0-9a-f]{32}$/;

const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
const VersionParam = z.coerce.number().int().min(1).max(2_147_483_647);

/**
 * Templates: an idempotent create (with version 1), idempotent new versions, and the reads. A
 * create is written by its own idempotency engine (the messages' engine is typed by their effect),
 * on the same records table under the same profile; no outbox row, as no event is emitted.
 * A template exists when it is answered, so a create answers 201 (in the profile's envelope).
 */
export async function templatesRoutes(app: FastifyInstance, options: TemplatesRoutesOptions): Promise<void> {
  const { orm, profile } = options;
  const engine = createIdempotencyEngine<TemplateWrite>({
    orm,
    profile,
    writeEffects: writeTemplates,
    findWrittenEffects: templateWritesStored,
    leaseMs: options.leaseMs,
    waitTimeoutMs: options.waitTimeoutMs,
    // Template writes are rare: no replay cache of their own (replays read the record).
    replayCacheSize: 0,
  });
  app.addHook('onClose', () => engine.close());

  const reply = (resource: TemplateResource): StoredReply => ({
    status: 201,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      location: `/v1/templates/${resource.id}/versions/${resource.version}`,
    },
    body: JSON.stringify(profile.envelope === 'data' ? { data: resource } : resource),
  });

  type Prepared = { write: TemplateWrite; resource: TemplateResource };

  function execute(request: FastifyRequest, prepare: (acceptedAt: Date) => Promise<Prepared> | Prepared) {
    return engine.execute({
      scope: keyScopeOf(request, options.principalOf(request)),
      fingerprint: requestFingerprint(request.method, request.routeOptions.url ?? request.url, request.body),
      requestId: request.id,
      prepare: async (acceptedAt) => {
        const { write, resource } = await prepare(acceptedAt);
        return { effect: write, reply: reply(resource), resourceIds: [resource.id] };
      },
    });
  }

  app.post('/v1/templates', { config: { idempotent: true } }, async (request, res) => {
    const body = validated(CreateTemplate, request.body, 'the template');
    const { name, channel, ...content } = body;
    checkTemplateContent(channel, content);
    const variables = templateVariables(content);
    const { accountId } = options.principalOf(request);
    const outcome = await execute(request, (acceptedAt) => {
      const first: NewTemplateVersion = {
        templateId: options.newId('tpl'),
        accountId,
        version: 1,
        content,
        variables,
        createdAt: acceptedAt,
      };
      const at = acceptedAt.toISOString();
      return {
        write: { kind: 'template', name, channel, first },
        resource: resourceOf(first, { name, channel, createdAt: at }),
      };
    });
    return res.sendIdempotencyOutcome(outcome);
  });

  app.post<{ Params: { id: string } }>(
    '/v1/templates/:id/versions',
    { config: { idempotent: true } },
    async (request, res) => {
      const content = validated(CreateTemplateVersion, request.body, 'the template version');
      const { accountId } = options.principalOf(request);
      const outcome = await execute(request, async (acceptedAt) => {
        // Read when the request executes (never for a replay): the next number follows the latest.
        const current = await findOwn(accountId, request.params.id);
        checkTemplateContent(current.channel, content);
        const next: NewTemplateVersion = {
          templateId: current.id,
          accountId,
          version: current.latestVersion + 1,
          content,
          variables: templateVariables(content),
          createdAt: acceptedAt,
        };
        return { write: { kind: 'version', next }, resource: resourceOf(next, current) };
      });
      return res.sendIdempotencyOutcome(outcome);
    },
  );

  async function findOwn(accountId: string, id: string, version?: number): Promise<TemplateResource> {
    const found = templateId.test(id) ? await findTemplate(orm.em.fork(), accountId, id, version) : undefined;
    // Another account's template is as absent as one that never existed: 404, never 403.
    if (found === undefined) {
      throw new ExactlyError(
        'not_found',
        version === undefined ? `no template ${id}` : `no version ${version} of template ${id}`,
      );
    }
    return found;
  }

  const send = (res: FastifyReply, body: unknown) =>
    res.type('application/json; charset=utf-8').send(JSON.stringify(body));

  app.get<{ Params: { id: string } }>('/v1/templates/:id', async (request, res) => {
    const { accountId } = options.principalOf(request);
    return send(res, await findOwn(accountId, request.params.id));
  });

  app.get<{ Params: { id: string; version: string } }>(
    '/v1/templates/:id/versions/:version',
    async (request, res) => {
      const { accountId } = options.principalOf(request);
      const version = validated(VersionParam, request.params.version, 'the version');
      return send(res, await findOwn(accountId, request.params.id, version));
    },
  );

  app.get('/v1/templates', async (request, res) => {
    const { accountId } = options.principalOf(request);
    const query = validated(ListQuery, request.query, 'the query');
    const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const page = await listTemplates(orm.em.fork(), accountId, {
      limit: query.limit,
      ...(before === undefined ? {} : { before }),
    });
    const last = page.data.at(-1);
    return send(res, { data: page.data, nextCursor: page.more && last ? encodeCursor(last.id) : null });
  });
}

/** A new version as its reply shows it, with its template's name, channel and creation time. */
function resourceOf(
  version: NewTemplateVersion,
  template: Pick<TemplateResource, 'name' | 'channel' | 'createdAt'>,
): TemplateResource {
  return {
    id: version.templateId,
    name: template.name,
    channel: template.channel,
    latestVersion: version.version,
    version: version.version,
    ...version.content,
    variables: version.variables,
    createdAt: template.createdAt,
    versionCreatedAt: version.createdAt.toISOString(),
  };
}

function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const lastId = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!templateId.test(lastId)) {
    throw new ExactlyError('invalid_request', 'the cursor is not one this API gave out', {
      details: { errors: [{ path: 'cursor', message: 'unknown cursor' }] },
    });
  }
  return lastId;
}
