import { ExactlyError, toExactlyError, toProblemDetails } from './index.js';

describe('toExactlyError', () => {
  it('keeps an ExactlyError as it is', () => {
    const error = new ExactlyError('not_found', 'no message msg_1');
    expect(toExactlyError(error)).toBe(error);
  });

  it('turns an unknown throwable into a retryable internal error that keeps the cause', () => {
    const cause = new TypeError('boom');
    const error = toExactlyError(cause);
    expect(error.code).toBe('internal');
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(500);
    expect(error.cause).toBe(cause);
  });
});

describe('toProblemDetails', () => {
  it('maps the code to a type, a title and the status, with details as extension members', () => {
    const error = new ExactlyError('idempotency_key_reused', 'key k was used with another body', {
      status: 409,
      details: { key: 'k' },
    });
    expect(toProblemDetails(error, '/v1/messages')).toEqual({
      type: 'https://exactly.dev/problems/idempotency-key-reused',
      title: 'The idempotency key was used with another request',
      status: 409,
      detail: 'key k was used with another body',
      code: 'idempotency_key_reused',
      instance: '/v1/messages',
      key: 'k',
    });
  });

  it('never shows the message of an internal error to a client', () => {
    const problem = toProblemDetails(toExactlyError(new Error('password=secret in connection string')));
    expect(problem.detail).not.toContain('secret');
  });
});
