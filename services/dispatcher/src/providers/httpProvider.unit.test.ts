import { classifyHttpResponse } from './httpProvider.js';

const headers = (entries: Record<string, string> = {}) => new Headers(entries);

describe("classifying an HTTP provider's answer", () => {
  it('accepts any 2xx, noting a replay and the provider id', () => {
    expect(classifyHttpResponse(201, headers(), '{"id":"p1"}')).toEqual({
      status: 'accepted',
      replayed: false,
      providerMessageId: 'p1',
    });
    expect(classifyHttpResponse(200, headers({ 'idempotent-replayed': 'true' }), '')).toEqual({
      status: 'accepted',
      replayed: true,
    });
  });

  it.each([408, 409, 425, 429, 500, 502, 503, 504])('retries %d', (status) => {
    expect(classifyHttpResponse(status, headers(), 'busy')).toMatchObject({
      status: 'failed',
      retryable: true,
    });
  });

  it.each([400, 401, 403, 404, 422])('fails permanently on %d', (status) => {
    expect(classifyHttpResponse(status, headers(), 'no')).toMatchObject({
      status: 'failed',
      retryable: false,
      error: `HTTP ${status}: no`,
    });
  });

  it('keeps an error body storable (no NUL) and short', () => {
    const outcome = classifyHttpResponse(500, headers(), `a\u0000b${'x'.repeat(5_000)}`);
    if (outcome.status !== 'failed') throw new Error('not a failure');
    expect(outcome.error).not.toContain('\u0000');
    expect(outcome.error.length).toBeLessThan(300);
  });
});
