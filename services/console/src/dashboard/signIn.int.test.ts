import { startTestConsole } from '../testing/startTestConsole.js';

const token = 'operator-token-for-tests-0123456789';

describe('dashboard sign-in', () => {
  it('is throttled per address after DASHBOARD_SIGN_IN_ATTEMPTS failures: 429 with Retry-After, even for the right token', async () => {
    const api = await startTestConsole(
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

describe('the dashboard session cookie behind a TLS-terminating proxy', () => {
  it('is Secure when TRUST_PROXY believes the proxy and it says https; not otherwise', async () => {
    for (const [env, secure] of [
      [{ TRUST_PROXY: '127.0.0.1' }, true],
      [{}, false],
    ] as const) {
      const api = await startTestConsole({ OPERATOR_TOKEN: token, ...env }, { listen: true });
      try {
        const response = await fetch(`${api.url}/dashboard/api/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
          body: JSON.stringify({ token }),
        });
        expect(response.status).toBe(204);
        expect({ env, secure: /;\s*Secure/i.test(response.headers.get('set-cookie') ?? '') }).toEqual({
          env,
          secure,
        });
      } finally {
        await api.close();
      }
    }
  });
});

describe('dashboard sign-out', () => {
  it('revokes the session: the old cookie no longer signs anyone in', async () => {
    const api = await startTestConsole({ OPERATOR_TOKEN: token }, { listen: true });
    try {
      const signedIn = await fetch(`${api.url}/dashboard/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      });
      const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
      const state = async () =>
        (
          (await (await fetch(`${api.url}/dashboard/api/session`, { headers: { cookie } })).json()) as {
            signedIn: boolean;
          }
        ).signedIn;
      expect(await state()).toBe(true);
      const out = await fetch(`${api.url}/dashboard/api/session`, { method: 'DELETE', headers: { cookie } });
      expect(out.status).toBe(204);
      expect(await state()).toBe(false);
      expect((await fetch(`${api.url}/dashboard/api/snapshot`, { headers: { cookie } })).status).toBe(401);
    } finally {
      await api.close();
    }
  });
});
