import type { Socket } from 'node:net';
import { eventually, metricValue } from '@exactly/testkit';
import {
  email,
  postMessage,
  stalledPost,
  startTestServer,
  type TestAccount,
  type TestServer,
} from './testing/startTestServer.js';

const kib = 1024;

/** A send whose body is padded to about `bytes` (text of that length). */
const send = (api: TestServer, who: TestAccount, key: string, bytes = 200) =>
  postMessage(api, who, key, email({ text: 'x'.repeat(bytes) }));

/**
 * Waits until the server holds exactly `bytes` for requests in flight: the stalled bodies count
 * once their headers and caller are read, which no fixed sleep promises on a loaded machine, and
 * a probe sent before then would take the room one of them needs.
 */
async function untilHeld(api: TestServer, bytes: number): Promise<void> {
  await eventually(
    `${bytes} body bytes in flight`,
    async () => (await metricValue(api.url, 'exactly_ingest_body_bytes_in_flight')) === bytes,
    10_000,
    20,
  );
}

/** A POST of `who` whose headers announce `bytes` of body, of which it sends none. */
const stalled = (api: TestServer, who: TestAccount, bytes: number) =>
  stalledPost(api, '/v1/messages', { apiKey: who.apiKey, bytes, key: `stalled-${bytes}-${Math.random()}` });

describe('body bytes in flight', () => {
  let api: TestServer;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    api = await startTestServer(
      {
        BODY_LIMIT: String(256 * kib),
        BODY_BYTES_IN_FLIGHT: String(1024 * kib),
        ACCOUNT_BODY_BYTES_IN_FLIGHT: String(512 * kib),
      },
      { listen: true },
    );
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await untilHeld(api, 0);
  });

  afterAll(async () => {
    await api.close();
  });

  it("are bounded per account: one account's announced bodies past its share get 429, another account is served", async () => {
    const hog = await api.newAccount();
    const other = await api.newAccount();
    sockets.push(await stalled(api, hog, 250 * kib), await stalled(api, hog, 250 * kib));
    await untilHeld(api, 500 * kib);
    const refused = await send(api, hog, 'hog-more', 20 * kib);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.json.detail).toMatch(/ACCOUNT_BODY_BYTES_IN_FLIGHT/);
    expect((await send(api, other, 'other-1', 20 * kib)).status).toBe(202);
  });

  it('are bounded in total: past it every account gets 503 overloaded, and the bytes come back when the stalled bodies go', async () => {
    const [a, b, c] = [await api.newAccount(), await api.newAccount(), await api.newAccount()];
    sockets.push(
      await stalled(api, a, 250 * kib),
      await stalled(api, a, 250 * kib),
      await stalled(api, b, 250 * kib),
      await stalled(api, b, 250 * kib),
    );
    await untilHeld(api, 1_000 * kib);
    const shed = await send(api, c, 'c-1', 40 * kib);
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('1');
    expect(shed.json.detail).toMatch(/BODY_BYTES_IN_FLIGHT/);
    for (const socket of sockets.splice(0)) socket.destroy();
    await untilHeld(api, 0);
    expect((await send(api, c, 'c-1', 40 * kib)).status).toBe(202);
  });
});
