import { startTestServer } from '../testing/startTestServer.js';

const token = 'operator-token-for-tests-0123456789';

describe('dashboard sign-in', () => {
  it('is throttled per address after DASHBOARD_SIGN_IN_ATTEMPTS failures: 429 with Retry-After, even for the right token', async () => {
    const api = await startTestServer(
      { OPERATOR_TOKEN: token, DASHBOARD_SIGN_IN_ATTEMPTS: '3', DASHBOARD_SIGN_IN_WINDOW: '1m' },
      { listen: true },
    );
    try {
      const signIn = (given: string) =>
        fetch(`${api.url}/dashboard/api/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token: given }),
        });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await signIn(`wrong-guess-${i}-0123456789`)).status);
      expect(statuses).toEqual([401, 401, 401]);
      const throttled = await signIn(`wrong-guess-again-0123456789`);
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await signIn(token)).status).toBe(429);
    } finally {
      await api.close();
    }
  });
});
