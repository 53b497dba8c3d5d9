import { setTimeout as sleep } from 'node:timers/promises';
import { TcpProxy } from '@exactly/testkit';
import {
  email,
  postMessage,
  startTestServer,
  type TestAccount,
  type TestServer,
} from './testing/startTestServer.js';

/** The run's database through a proxy of the test's own, so that PostgreSQL can be made slow. */
async function slowDatabase(): Promise<{ proxy: TcpProxy; databaseUrl: string }> {
  const url = new URL(process.env.DATABASE_URL ?? '');
  const proxy = new TcpProxy({ port: Number(url.port) });
  url.port = String(await proxy.listen());
  return { proxy, databaseUrl: url.toString() };
}

/** A send whose client gives up after `timeoutMs`: the server is left with a closed connection. */
async function abandonedSend(
  api: TestServer,
  who: TestAccount,
  key: string,
  timeoutMs: number,
): Promise<string> {
  try {
    const response = await postMessage(api, who, key, email(), { signal: AbortSignal.timeout(timeoutMs) });
    return `answered ${response.status}`;
  } catch (error) {
    return (error as Error).name;
  }
}

/**
 * Clients that time out while their API key is looked up leave a connection that closed before
 * the quotas took their share: each share must still be given back, or a few timeouts lock the
 * tenant (or the whole process) out for good (the long client-timeouts fault run: 305 commands
 * accepted in 342 s, 39,361 attempts refused by the concurrency quota with 125 sockets open).
 */
describe.each([
  ['its tenant concurrency quota', { ACCOUNT_CONCURRENCY: '4', API_KEY_CONCURRENCY: '4' }],
  [
    'the body bytes in flight',
    {
      ACCOUNT_CONCURRENCY: '0',
      API_KEY_CONCURRENCY: '0',
      BODY_LIMIT: '1024',
      BODY_BYTES_IN_FLIGHT: '1024',
      ACCOUNT_BODY_BYTES_IN_FLIGHT: '0',
    },
  ],
])('a client gone before %s were counted', (_what, limits) => {
  it('gives its share back: eight abandoned sends later, the next send is accepted', async () => {
    const { proxy, databaseUrl } = await slowDatabase();
    const api = await startTestServer(
      { DATABASE_URL: databaseUrl, AUTH_CACHE_TTL: '0', ...limits },
      { listen: true },
    );
    try {
      const who = await api.newAccount();
      proxy.setLatency(150);
      const abandoned = await Promise.all(
        Array.from({ length: 8 }, (_, i) => abandonedSend(api, who, `gone-${i}`, 40)),
      );
      expect(abandoned).toEqual(Array.from({ length: 8 }, () => 'TimeoutError'));
      // Their API key look-ups end on the server after the clients left (two 150 ms hops each).
      await sleep(1_500);
      proxy.setLatency(0);
      const next = await postMessage(api, who, 'after-the-abandoned');
      expect({ status: next.status, body: next.status === 202 ? '' : next.text }).toEqual({
        status: 202,
        body: '',
      });
    } finally {
      await api.close();
      await proxy.close();
    }
  });
});
