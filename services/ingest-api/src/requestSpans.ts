import { type Span, SpanKind, SpanStatusCode, startSpan, tracingEnabled } from '@exactly/observability';
import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span, with tracing on. */
    span: Span | undefined;
  }
}

/**
 * With tracing on, one server span per request, continuing the caller's `traceparent`; its ids go
 * on the request's log lines. With tracing off, no hook is added.
 */
export function registerRequestSpans(app: FastifyInstance): void {
  app.decorateRequest('span', undefined);
  if (!tracingEnabled()) return;
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    request.span = startSpan(route === undefined ? request.method : `${request.method} ${route}`, {
      kind: SpanKind.SERVER,
      parent: single(request.headers.traceparent),
      attributes: {
        'http.request.method': request.method,
        'url.path': request.url.split('?', 1)[0] ?? request.url,
        ...(route === undefined ? {} : { 'http.route': route }),
        'exactly.request_id': request.id,
      },
    });
    const { traceId, spanId } = request.span.spanContext();
    request.log = request.log.child({ trace_id: traceId, span_id: spanId });
  });
  app.addHook('onResponse', async (request, reply) => {
    request.span?.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) request.span?.setStatus({ code: SpanStatusCode.ERROR });
    end(request);
  });
  app.addHook('onRequestAbort', async (request) => {
    request.span?.setStatus({ code: SpanStatusCode.ERROR, message: 'the client went away' });
    end(request);
  });
}

function end(request: FastifyRequest): void {
  request.span?.end();
  request.span = undefined;
}

function single(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' ? header : undefined;
}
