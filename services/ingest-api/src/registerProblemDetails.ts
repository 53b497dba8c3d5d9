import { ExactlyError, isExactlyError, toExactlyError, toProblemDetails } from '@exactly/errors';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { drainRequest } from './drainRequest.js';

const problemJson = 'application/problem+json';

/** PostgreSQL and network failures that pass by themselves: 503, worth a retry with the same key. */
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P03',
  '25P04',
]);
/** What node-postgres says when the server ended the session under a query (no SQLSTATE then). */
const lostConnection = /Connection terminated|not queryable|timeout exceeded when trying to connect/i;

/**
 * The one error handler: every error becomes RFC 9457 problem details with a stable code, and an
 * unknown route a 404 the same way. Client errors are logged at info, server errors at error
 * with their cause; a client never sees a stack trace.
 */
export function registerProblemDetails(app: FastifyInstance, { drainLimit }: { drainLimit: number }): void {
  app.setErrorHandler(async (thrown: FastifyError | ExactlyError | Error, request, reply) => {
    const error = normalise(thrown);
    if (error.code === 'payload_too_large') {
      // The client is likely still sending: take the rest (up to drainLimit) so it reads the 413.
      await drainRequest(request.raw, drainLimit);
      reply.header('connection', 'close');
    }
    if (error.status >= 500) request.log.error({ err: thrown, code: error.code }, 'request failed');
    else request.log.info({ code: error.code, detail: error.message }, 'request refused');
    if (
      error.code === 'idempotency_key_in_flight' ||
      error.code === 'unavailable' ||
      error.code === 'overloaded' ||
      error.code === 'rate_limited'
    ) {
      const seconds = error.details?.retryAfterSeconds;
      reply.header('retry-after', String(typeof seconds === 'number' ? seconds : 1));
    }
    return reply
      .code(error.status)
      .type(problemJson)
      .send(JSON.stringify(toProblemDetails(error, request.url)));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = notFound(request);
    return reply
      .code(404)
      .type(problemJson)
      .send(JSON.stringify(toProblemDetails(error, request.url)));
  });
}

/**
 * Fastify's `frameworkErrors`: a URL it cannot decode (`%FF`, a lost surrogate) or a parameter
 * over the length limit is a client error in problem details, like every other.
 */
export function renderFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const path = request.url.split('?')[0] ?? '';
  const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
  const problem = path.startsWith('/v1/idempotency-keys/')
    ? new ExactlyError('idempotency_key_invalid', 'the key in the path is not valid percent-encoded UTF-8', {
        status,
      })
    : new ExactlyError('invalid_request', `the URL cannot be read: ${error.message}`, { status });
  request.log.info({ code: problem.code, detail: problem.message }, 'request refused');
  return reply
    .code(status)
    .type(problemJson)
    .send(JSON.stringify(toProblemDetails(problem, request.url)));
}

/** The 404 of a path no route serves. */
export function notFound(request: FastifyRequest): ExactlyError {
  return new ExactlyError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
}

function normalise(thrown: FastifyError | ExactlyError | Error): ExactlyError {
  if (isExactlyError(thrown)) return thrown;
  const { code, statusCode } = thrown as Partial<FastifyError>;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || statusCode === 413) {
    return new ExactlyError('payload_too_large', thrown.message, { cause: thrown });
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || statusCode === 415) {
    return new ExactlyError('unsupported_media_type', 'send the body as application/json', { cause: thrown });
  }
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return new ExactlyError('malformed_json', 'the body is empty but the content type is JSON', {
      cause: thrown,
    });
  }
  if (thrown instanceof SyntaxError || code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new ExactlyError('malformed_json', `the body is not valid JSON: ${thrown.message}`, {
      cause: thrown,
    });
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new ExactlyError(statusCode === 404 ? 'not_found' : 'invalid_request', thrown.message, {
      cause: thrown,
      status: statusCode,
    });
  }
  if (
    (typeof code === 'string' && (unavailableCodes.has(code) || code.startsWith('08'))) ||
    lostConnection.test(thrown.message)
  ) {
    return new ExactlyError('unavailable', 'the database is unavailable; retry with the same key', {
      cause: thrown,
    });
  }
  return toExactlyError(thrown);
}
