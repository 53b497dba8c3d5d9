import {
  CreateTemplate,
  CreateTemplateVersion,
  type TemplatePage,
  type TemplateResource,
} from '@exactly/contracts';
import type { CallOptions } from './createClient.js';
import { type PagedList, pagedList } from './pagedList.js';
import type { ApiRequest, ApiResponse } from './transport.js';

export interface TemplateResult {
  template: TemplateResource;
  /** True when the server answered with the stored reply of an earlier request with this key. */
  replayed: boolean;
  idempotencyKey: string;
  status: number;
}

/** Every template of the account, newest first (each with its latest version), fetched page by page. */
export type TemplateList = PagedList<TemplateResource, TemplatePage>;

export interface TemplatesApi {
  /** Creates a template with its version 1, once per idempotency key. */
  create(template: CreateTemplate, options?: CallOptions): Promise<TemplateResult>;
  /** Creates the template's next version, once per idempotency key; sends that name no version take it from now on. */
  createVersion(id: string, content: CreateTemplateVersion, options?: CallOptions): Promise<TemplateResult>;
  /** The template with its latest version, or with `version`. */
  get(id: string, options?: { version?: number; signal?: AbortSignal }): Promise<TemplateResource>;
  list(options?: { limit?: number; signal?: AbortSignal }): TemplateList;
}

/** What the client lends the templates API: its idempotent create, its reads and its checks. */
export interface TemplatesApiParts {
  create: <Body>(request: ApiRequest) => Promise<ApiResponse<Body>>;
  get: <Body>(request: ApiRequest) => Promise<ApiResponse<Body>>;
  check: <T>(schema: { safeParse(value: unknown): { success: boolean; error?: unknown } }, value: T) => T;
  newKey: () => string;
}

const replayed = (response: ApiResponse<unknown>) => response.headers.get('idempotent-replayed') === 'true';

export function templatesApi(parts: TemplatesApiParts): TemplatesApi {
  const created = async (request: Omit<ApiRequest, 'idempotencyKey'>, options: CallOptions) => {
    const idempotencyKey = options.idempotencyKey ?? parts.newKey();
    const response = await parts.create<TemplateResource>({
      ...request,
      idempotencyKey,
      signal: options.signal,
    });
    return { template: response.body, replayed: replayed(response), idempotencyKey, status: response.status };
  };
  return {
    create: (template, options = {}) =>
      created(
        { method: 'POST', path: '/v1/templates', body: parts.check(CreateTemplate, template) },
        options,
      ),
    createVersion: (id, content, options = {}) =>
      created(
        {
          method: 'POST',
          path: `/v1/templates/${encodeURIComponent(id)}/versions`,
          body: parts.check(CreateTemplateVersion, content),
        },
        options,
      ),
    async get(id, options = {}) {
      const base = `/v1/templates/${encodeURIComponent(id)}`;
      const path = options.version === undefined ? base : `${base}/versions/${options.version}`;
      return (await parts.get<TemplateResource>({ method: 'GET', path, signal: options.signal })).body;
    },
    list(options = {}) {
      return pagedList<TemplateResource, TemplatePage>(
        parts.get,
        '/v1/templates',
        { limit: options.limit },
        options.signal,
      );
    },
  };
}
