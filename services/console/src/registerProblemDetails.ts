import { ExactlyError, isExactlyError, toExactlyError, toProblemDetails } from '@exactly/errors';
import type { FastifyError, FastifyInstance } from 'fastify';

const problemJson = 'application/problem+json';

/**
 * Every error becomes RFC 9457 problem details with a stable code, and an unknown route a 404 the
 * same way; a client never sees a stack trace. Refusals that pass with time carry Retry-After.
 */
export function registerProblemDetails(app: FastifyInstance): void {
  app.setErrorHandler(async (thrown: FastifyError | ExactlyError | Error, request, reply) => {
    const error = normalise(thrown);
    if (error.status >= 500) request.log.error({ err: thrown, code: error.code }, 'request failed');
    else request.log.info({ code: error.code, detail: error.message }, 'request refused');
    if (error.code === 'unavailable' || error.code === 'rate_limited') {
      const seconds = error.details?.retryAfterSeconds;
      reply.header('retry-after', String(typeof seconds === 'number' ? seconds : 1));
    }
    return reply
      .code(error.status)
      .type(problemJson)
      .send(JSON.stringify(toProblemDetails(error, request.url)));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new ExactlyError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
    return reply
      .code(404)
      .type(problemJson)
      .send(JSON.stringify(toProblemDetails(error, request.url)));
  });
}

function normalise(thrown: FastifyError | ExactlyError | Error): ExactlyError {
  if (isExactlyError(thrown)) return thrown;
  const { statusCode } = thrown as Partial<FastifyError>;
  if (thrown instanceof SyntaxError) {
    return new ExactlyError('malformed_json', `the body is not valid JSON: ${thrown.message}`, {
      cause: thrown,
    });
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const code =
      statusCode === 404 ? 'not_found' : statusCode === 413 ? 'payload_too_large' : 'invalid_request';
    return new ExactlyError(code, thrown.message, { cause: thrown, status: statusCode });
  }
  return toExactlyError(thrown);
}
