import { type CollectedSpans, collectSpans } from '@exactly/observability/testing';
import Fastify from 'fastify';
import { registerRequestSpans } from './requestSpans.js';

describe('request spans', () => {
  let collected: CollectedSpans;
  beforeEach(() => {
    collected = collectSpans();
  });
  afterEach(() => collected.stop());

  async function app() {
    const server = Fastify();
    registerRequestSpans(server);
    server.post('/v1/messages', async (request) => ({ traceId: request.span?.spanContext().traceId }));
    server.get('/boom', async () => {
      throw new Error('boom');
    });
    await server.ready();
    return server;
  }

  it('continue the caller’s trace, one server span per request with its route and status', async () => {
    const server = await app();
    const reply = await server.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      payload: {},
    });
    expect(reply.json()).toEqual({ traceId: '0af7651916cd43dd8448eb211c80319c' });
    const [span] = collected.spans();
    expect(span?.name).toBe('POST /v1/messages');
    expect(span?.kind).toBe(1); // SERVER in the SDK's SpanKind
    expect(span?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(span?.attributes).toMatchObject({
      'http.route': '/v1/messages',
      'http.response.status_code': 200,
    });
  });

  it('start a trace without a valid traceparent and mark server errors', async () => {
    const server = await app();
    await server.inject({ method: 'GET', url: '/boom', headers: { traceparent: 'nonsense' } });
    const [span] = collected.spans();
    expect(span?.parentSpanContext).toBeUndefined();
    expect(span?.status.code).toBe(2);
  });
});
