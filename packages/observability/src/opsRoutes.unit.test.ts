import Fastify from 'fastify';
import { Counter } from 'prom-client';
import { createMetricsRegistry, registerOpsRoutes } from './index.js';

describe('the ops routes', () => {
  it('serve liveness, readiness with its reason, and Prometheus metrics', async () => {
    const registry = createMetricsRegistry('test-service');
    const sends = new Counter({ name: 'sends_total', help: 'sends', registers: [registry] });
    sends.inc(3);
    let notReady: string | undefined = 'database unreachable';
    const app = Fastify();
    registerOpsRoutes(app, { registry, readiness: async () => notReady });

    expect((await app.inject('/healthz')).statusCode).toBe(200);
    const unready = await app.inject('/readyz');
    expect(unready.statusCode).toBe(503);
    expect(unready.json()).toEqual({ status: 'not ready', reason: 'database unreachable' });
    notReady = undefined;
    expect((await app.inject('/readyz')).statusCode).toBe(200);

    const metrics = await app.inject('/metrics');
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('sends_total{service="test-service"} 3');
    expect(metrics.body).toContain('process_resident_memory_bytes');
    await app.close();
  });
});
