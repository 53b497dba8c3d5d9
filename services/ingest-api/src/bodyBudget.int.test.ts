import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { email, startTestServer, type TestAccount, type TestServer } from './testing/startTestServer.js';

const kib = 1024;

/** A POST whose headers announce `bytes` of body, of which it sends none. */
async function stalledPost(api: TestServer, who: TestAccount, bytes: number): Promise<Socket> {
  const { hostname, port } = new URL(api.url);
  const socket = connect({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  socket.write(
    `POST /v1/messages HTTP/1.1\r\nHost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${bytes}\r\n` +
      `authorization: Bearer ${who.apiKey}\r\nidempotency-key: stalled-${bytes}-${Math.random()}\r\n\r\n`,
  );
  return socket;
}

/** A send whose body is padded to about `bytes` (text of that length). */
async function send(api: TestServer, who: TestAccount, key: string, bytes = 200) {
  const response = await fetch(`${api.url}/v1/messages`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${who.apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify(email({ text: 'x'.repeat(bytes) })),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response.text(),
  };
}

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
    sockets.push(await stalledPost(api, hog, 250 * kib), await stalledPost(api, hog, 250 * kib));
    await sleep(200);
    const refused = await send(api, hog, 'hog-more', 20 * kib);
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('1');
    expect(JSON.parse(refused.body).detail).toMatch(/ACCOUNT_BODY_BYTES_IN_FLIGHT/);
    expect((await send(api, other, 'other-1', 20 * kib)).status).toBe(202);
  });

  it('are bounded in total: past it every account gets 503 overloaded, and the bytes come back when the stalled bodies go', async () => {
    const [a, b, c] = [await api.newAccount(), await api.newAccount(), await api.newAccount()];
    sockets.push(
      await stalledPost(api, a, 250 * kib),
      await stalledPost(api, a, 250 * kib),
      await stalledPost(api, b, 250 * kib),
      await stalledPost(api, b, 250 * kib),
    );
    await sleep(200);
    const shed = await send(api, c, 'c-1', 40 * kib);
    expect(shed.status).toBe(503);
    expect(shed.retryAfter).toBe('1');
    expect(JSON.parse(shed.body).detail).toMatch(/BODY_BYTES_IN_FLIGHT/);
    for (const socket of sockets.splice(0)) socket.destroy();
    await sleep(300);
    expect((await send(api, c, 'c-1', 40 * kib)).status).toBe(202);
  });
});
