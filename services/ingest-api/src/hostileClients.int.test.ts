import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { postMessage, stalledPost, startTestServer } from './testing/startTestServer.js';

/** The quota's window: one hour, so that the stalled sockets and the flood fall in the same one. */
const windowMs = 3_600_000;

describe('2,048 stalled sockets and a tenant flooding at ten times its quota', () => {
  it('hold no admission slot and take nothing from another tenant: its sends get 202, the flooder 429 with Retry-After and RateLimit fields', async () => {
    const api = await startTestServer(
      {
        ACCOUNT_RATE_LIMIT: '20',
        API_KEY_RATE_LIMIT: '20',
        RATE_LIMIT_WINDOW: '1h',
        ACCOUNT_CONCURRENCY: '16',
      },
      { listen: true },
    );
    const sockets: Socket[] = [];
    // Windows are fixed, aligned to the epoch. The stalled sockets use up the flooder's quota in
    // this one; were the flood to start in the next, its first requests would pass the rate and
    // be refused by the concurrency quota the stalled sockets still hold (CI saw `r=19`).
    const intoWindow = Date.now() % windowMs;
    if (intoWindow > windowMs - 30_000) await sleep(windowMs - intoWindow + 100);
    try {
      const flooder = await api.newAccount();
      const other = await api.newAccount();
      // Half on a route that does not exist, half with the flooder's own key: each names a body it never sends.
      for (let i = 0; i < 2_048; i += 1) {
        sockets.push(
          await stalledPost(
            api,
            i % 2 === 0 ? '/dashboard/api/session' : '/v1/messages',
            i % 2 === 0 ? {} : { apiKey: flooder.apiKey },
          ),
        );
      }
      await sleep(500);

      // Ten times the flooder's quota of 20 per window, 20 at a time.
      const flood: number[] = [];
      const headers: Headers[] = [];
      for (let round = 0; round < 10; round += 1) {
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) => postMessage(api, flooder, `flood-${round}-${i}`)),
        );
        for (const answer of answers) {
          flood.push(answer.status);
          if (answer.status === 429) headers.push(answer.headers);
        }
      }
      const others: number[] = [];
      for (let i = 0; i < 10; i += 1) others.push((await postMessage(api, other, `other-${i}`)).status);

      expect(others).toEqual(Array.from({ length: 10 }, () => 202));
      expect(flood.filter((status) => status === 429).length).toBeGreaterThanOrEqual(180);
      expect(flood.every((status) => status === 202 || status === 429)).toBe(true);
      const limited = headers[0] as Headers;
      expect(Number(limited.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(limited.get('ratelimit-policy')).toMatch(/"account";q=20;w=3600/);
      expect(limited.get('ratelimit')).toMatch(/r=0;t=\d+/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await api.close();
    }
  });
});

describe('a client that sends headers and then nothing', () => {
  it('is cut off once HEADERS_TIMEOUT or REQUEST_TIMEOUT passes (slowloris)', async () => {
    const api = await startTestServer({ REQUEST_TIMEOUT: '1s', HEADERS_TIMEOUT: '1s' }, { listen: true });
    try {
      const who = await api.newAccount();
      const { hostname, port } = new URL(api.url);
      const partialHeaders = connect({ host: hostname, port: Number(port) });
      partialHeaders.on('error', () => {});
      partialHeaders.write(`POST /v1/messages HTTP/1.1\r\nHost: ${hostname}\r\n`);
      const noBody = await stalledPost(api, '/v1/messages', { apiKey: who.apiKey });
      const ended = (socket: Socket) =>
        new Promise<string>((resolve) => {
          let received = '';
          socket.on('data', (chunk: Buffer) => {
            received += chunk.toString('latin1');
          });
          socket.once('close', () => resolve(received));
        });
      const [first, second] = await Promise.race([
        Promise.all([ended(partialHeaders), ended(noBody)]),
        sleep(20_000).then(() => ['still open', 'still open']),
      ]);
      expect(first).not.toBe('still open');
      expect(second).not.toBe('still open');
    } finally {
      await api.close();
    }
  });
});
