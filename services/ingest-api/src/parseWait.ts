import { ExactlyError } from '@exactly/errors';

const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000 };
const pattern = /^(\d{1,9})(ms|s|m)?$/;

/**
 * The `wait` query parameter of `GET /v1/idempotency-keys/{key}` in milliseconds: `30s`,
 * `1500ms`, `1m`, or a bare number of seconds (as RFC 7240's `Prefer: wait=30`); undefined when
 * absent. Anything else, or more than `maxMs`, is a 400 naming the parameter.
 */
export function parseWait(value: unknown, maxMs: number): number | undefined {
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? pattern.exec(value) : null;
  const amount = match?.[1];
  if (match === null || amount === undefined) {
    throw invalidWait(
      `wait must be a duration such as 30s, 1500ms or 1m (a bare number is seconds), at most ${maxMs / 1_000}s`,
    );
  }
  const ms = Number(amount) * (units[match[2] ?? 's'] ?? 1_000);
  if (ms > maxMs) throw invalidWait(`wait must be at most ${maxMs / 1_000}s (KEY_WAIT_MAX)`);
  return ms;
}

function invalidWait(message: string): ExactlyError {
  return new ExactlyError('invalid_request', `the query is not valid: wait: ${message}`, {
    details: { errors: [{ path: 'wait', message }] },
  });
}
