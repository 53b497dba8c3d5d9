import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** Returns undefined when ready, or what is not ready yet (shown in the 503 body). */
export type ReadinessCheck = () => Promise<string | undefined>;

export interface OpsRoutesOptions {
  registry: Registry;
  readiness: ReadinessCheck;
}

/**
 * `/healthz` (the process answers: liveness), `/readyz` (its dependencies answer: readiness;
 * with the process id, so a caller knows which process answered on that port) and `/metrics`
 * (Prometheus text format).
 */
export function registerOpsRoutes(app: FastifyInstance, { registry, readiness }: OpsRoutesOptions): void {
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    const problem = await readiness().catch((error: unknown) => (error as Error).message ?? String(error));
    if (problem === undefined) return { status: 'ready', pid: process.pid };
    return reply.code(503).send({ status: 'not ready', reason: problem });
  });
  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
