import type { FastifyInstance } from 'fastify';

/** A route whose requests run under an idempotency key. */
export interface IdempotentEndpoint {
  method: string;
  route: string;
}

/**
 * Every route registered on `app` (and the plugins it registers after this call) with
 * `config: { idempotent: true }`, filled as they register: the list cannot miss a new one.
 */
export function trackIdempotentRoutes(app: FastifyInstance): readonly IdempotentEndpoint[] {
  const endpoints: IdempotentEndpoint[] = [];
  app.addHook('onRoute', (route) => {
    if (route.config?.idempotent !== true) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) endpoints.push({ method, route: route.url });
  });
  return endpoints;
}
