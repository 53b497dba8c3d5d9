import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  email,
  type PostedMessage,
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
 * Sends with fresh keys (`prefix-1`, `prefix-2`, ...) until one is answered `status`, and returns
 * that answer: the stalled bodies count only once the server has read their headers and their
 * caller, which a fixed sleep cannot promise on a loaded machine. Fails after 10 s.
 */
async function sendUntil(
  api: TestServer,
  who: TestAccount,
  prefix: string,
  bytes: number,
  status: number,
): Promise<PostedMessage> {
  const deadline = Date.now() + 10_000;
  for (let attempt = 1; ; attempt += 1) {
    const answer = await send(api, who, `${prefix}-${attempt}`, bytes);
    if (answer.status === status) return answer;
    if (Date.now() > deadline)
      throw new Error(`${prefix}: still ${answer.status}, not ${status}, after 10 s`);
    await sleep(50);
  }
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
    await sleep(200);
  });

  afterAll(async () => {
    await api.close();
  });

  it("are bounded per account: one account's announced bodies past its share get 429, another account is served", async () => {
    const hog = await api.newAccount();
    const other = await api.newAccount();
    sockets.push(await stalled(api, hog, 250 * kib), await stalled(api, hog, 250 * kib));
    const refused = await sendUntil(api, hog, 'hog-more', 20 * kib, 429);
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
    const shed = await sendUntil(api, c, 'c-shed', 40 * kib, 503);
    expect(shed.headers.get('retry-after')).toBe('1');
    expect(shed.json.detail).toMatch(/BODY_BYTES_IN_FLIGHT/);
    for (const socket of sockets.splice(0)) socket.destroy();
    // The stalled bodies' bytes come back: a send is served again (or this fails after 10 s).
    await sendUntil(api, c, 'c-after', 40 * kib, 202);
  });
});
