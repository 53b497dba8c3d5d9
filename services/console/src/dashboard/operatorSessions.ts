import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The cookie that carries an operator's session (HttpOnly, SameSite=Strict, path /dashboard). */
export const sessionCookie = 'exactly_operator';

export interface OperatorSessions {
  /** Whether `given` is the operator token (constant time, whatever its length). */
  isOperatorToken(given: string): boolean;
  /** A session value for the cookie, valid until `now + ttl`. */
  issue(): { value: string; maxAgeSeconds: number };
  /** Whether a cookie value is a session this token issued, not revoked, and that has not expired. */
  verify(value: string | undefined): boolean;
  /** Ends a session (sign-out) in this process; a session value that does not verify is ignored. */
  revoke(value: string | undefined): void;
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Operator sessions signed with the operator token (HMAC-SHA256 of their expiry): no session
 * store, every console instance with the same token accepts them, and changing the token ends
 * them all. The token itself never goes into the cookie or a URL.
 */
export function createOperatorSessions({
  token,
  ttlMs,
  now = Date.now,
}: {
  token: string;
  ttlMs: number;
  now?: () => number;
}): OperatorSessions {
  const tokenDigest = sha256(token);
  // Signed-out sessions until they would have expired; only valid sessions get here, so this
  // holds at most one entry per sign-in of the session's life.
  const revoked = new Map<string, number>();
  const sign = (payload: string) =>
    createHmac('sha256', token).update(`exactly-dashboard-session|${payload}`).digest('base64url');
  return {
    isOperatorToken(given) {
      // Comparing digests keeps the time independent of where (and whether) the strings differ.
      return timingSafeEqual(sha256(given), tokenDigest);
    },
    issue() {
      const expires = now() + ttlMs;
      return { value: `v1.${expires}.${sign(`v1.${expires}`)}`, maxAgeSeconds: Math.floor(ttlMs / 1000) };
    },
    verify(value) {
      if (value !== undefined && revoked.has(value)) return false;
      const match = value === undefined ? null : /^v1\.(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(value);
      if (match === null) return false;
      const [, expires = '', signature = ''] = match;
      const expected = Buffer.from(sign(`v1.${expires}`));
      const actual = Buffer.from(signature);
      return (
        actual.length === expected.length && timingSafeEqual(actual, expected) && Number(expires) > now()
      );
    },
    revoke(value) {
      if (value === undefined || !this.verify(value)) return;
      for (const [old, expires] of revoked) if (expires <= now()) revoked.delete(old);
      revoked.set(value, Number(value.split('.')[1]));
    },
  };
}
