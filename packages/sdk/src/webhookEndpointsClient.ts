import type {
  CreateWebhookEndpoint,
  UpdateWebhookEndpoint,
  WebhookDelivery,
  WebhookEndpoint,
} from '@exactly/contracts';
import type { ApiRequest, ApiResponse } from './transport.js';

export interface WebhookEndpointsClient {
  /** Idempotent under the key (one made for you when absent): a retry answers the same endpoint and secret. */
  create(
    endpoint: CreateWebhookEndpoint,
    options?: { idempotencyKey?: string; signal?: AbortSignal },
  ): Promise<{ endpoint: WebhookEndpoint & { secret: string }; replayed: boolean; idempotencyKey: string }>;
  list(): Promise<WebhookEndpoint[]>;
  get(id: string): Promise<WebhookEndpoint>;
  update(id: string, change: UpdateWebhookEndpoint): Promise<WebhookEndpoint>;
  disable(id: string, reason?: string): Promise<WebhookEndpoint>;
  enable(id: string): Promise<WebhookEndpoint>;
  /** A new secret; the old one keeps signing beside it until `previousSecretUntil`. */
  rotateSecret(id: string): Promise<{ secret: string; previousSecretUntil: string }>;
  /** Sends the deliveries of events at or after `since` again, with their same webhook-ids. */
  replay(
    id: string,
    since: Date | string,
  ): Promise<{ endpointId: string; since: string; deliveries: number }>;
  deliveries(id: string): Promise<WebhookDelivery[]>;
}

/** The webhook endpoints' calls, over the client's transport and its idempotent create. */
export function webhookEndpointsClient(
  call: <Body>(request: ApiRequest) => Promise<ApiResponse<Body>>,
  create: <Body>(request: ApiRequest) => Promise<ApiResponse<Body>>,
  newKey: () => string,
): WebhookEndpointsClient {
  const path = (id: string, suffix = '') => `/v1/webhook-endpoints/${encodeURIComponent(id)}${suffix}`;
  // Single resources come wrapped in `{ data }` under the profiles with an envelope.
  const one = async <Body>(request: ApiRequest): Promise<Body> => {
    const { body } = await call<Body | { data: Body }>(request);
    return typeof body === 'object' && body !== null && 'data' in body && Object.keys(body).length === 1
      ? (body as { data: Body }).data
      : (body as Body);
  };
  return {
    async create(endpoint, options = {}) {
      const idempotencyKey = options.idempotencyKey ?? newKey();
      const response = await create<WebhookEndpoint & { secret: string }>({
        method: 'POST',
        path: '/v1/webhook-endpoints',
        body: endpoint,
        idempotencyKey,
        signal: options.signal,
      });
      return {
        endpoint: response.body,
        replayed: response.headers.get('idempotent-replayed') === 'true',
        idempotencyKey,
      };
    },
    async list() {
      return (await call<{ data: WebhookEndpoint[] }>({ method: 'GET', path: '/v1/webhook-endpoints' })).body
        .data;
    },
    get: (id) => one({ method: 'GET', path: path(id) }),
    update: (id, change) => one({ method: 'PATCH', path: path(id), body: change }),
    disable: (id, reason) =>
      one({ method: 'POST', path: path(id, '/disable'), body: reason === undefined ? {} : { reason } }),
    enable: (id) => one({ method: 'POST', path: path(id, '/enable'), body: {} }),
    rotateSecret: (id) => one({ method: 'POST', path: path(id, '/rotate-secret'), body: {} }),
    replay: (id, since) =>
      one({
        method: 'POST',
        path: path(id, '/replay'),
        body: { since: typeof since === 'string' ? since : since.toISOString() },
      }),
    async deliveries(id) {
      return (await call<{ data: WebhookDelivery[] }>({ method: 'GET', path: path(id, '/deliveries') })).body
        .data;
    },
  };
}
