import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { askReadiness, createMetricsRegistry, registerOpsRoutes } from './index.js';

describe('askReadiness', () => {
  let app: FastifyInstance;
  let baseUrl: string;
  let problem: string | undefined;

  beforeAll(async () => {
    app = Fastify();
    registerOpsRoutes(app, { registry: createMetricsRegistry('probe-test'), readiness: async () => problem });
    app.get('/garbled/readyz', async (_request, reply) => reply.type('text/plain').send('ok'));
    await app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());
  beforeEach(() => {
    problem = undefined;
  });

  it('is ready only when the process asked about answers', async () => {
    expect(await askReadiness(baseUrl, process.pid)).toEqual({ state: 'ready' });
    expect(await askReadiness(baseUrl, process.pid + 1)).toEqual({
      state: 'another process',
      pid: process.pid,
    });
    expect(await askReadiness(baseUrl, undefined)).toEqual({ state: 'another process', pid: process.pid });
  });

  it('says why it is not ready', async () => {
    problem = 'database unreachable';
    expect(await askReadiness(baseUrl, process.pid)).toEqual({
      state: 'not ready',
      detail: '503 {"status":"not ready","reason":"database unreachable"}',
    });
    expect(await askReadiness(`${baseUrl}/garbled`, process.pid)).toEqual({
      state: 'not ready',
      detail: '200 without a JSON body: ok',
    });
  });

  it('is not ready when nothing answers', async () => {
    const closed = Fastify();
    await closed.listen({ host: '127.0.0.1', port: 0 });
    const port = (closed.server.address() as AddressInfo).port;
    await closed.close();
    const answer = await askReadiness(`http://127.0.0.1:${port}`, process.pid);
    expect(answer.state).toBe('not ready');
  });
});
