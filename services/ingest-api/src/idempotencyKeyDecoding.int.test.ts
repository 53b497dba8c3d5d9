import { connect } from 'node:net';
import { email, startTestServer, type TestAccount, type TestServer } from './testing/startTestServer.js';

/** POSTs over a raw socket with the key header's bytes exactly as given; answers the status. */
async function postWithKeyBytes(api: TestServer, who: TestAccount, header: string, keyBytes: Buffer) {
  const { hostname, port } = new URL(api.url);
  const body = JSON.stringify(email());
  const socket = connect({ host: hostname, port: Number(port) });
  const head = Buffer.from(
    `POST /v1/messages HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n` +
      `authorization: Bearer ${who.apiKey}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n${header}: `,
    'latin1',
  );
  // write, not end: a half-closed client makes Node drop the request in progress.
  socket.write(Buffer.concat([head, keyBytes, Buffer.from(`\r\n\r\n${body}`, 'utf8')]));
  const answer = await new Promise<string>((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    socket.once('end', () => resolve(text));
    socket.once('error', reject);
  });
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
}

async function keyState(api: TestServer, who: TestAccount, encodedKey: string) {
  const response = await fetch(`${api.url}/v1/idempotency-keys/${encodedKey}`, {
    headers: { authorization: `Bearer ${who.apiKey}` },
  });
  return { status: response.status, body: (await response.json()) as { state?: string; code?: string } };
}

describe.each([
  ['default', 'Idempotency-Key'],
  ['txtly', 'Idempotency-Key'],
  ['truedy', 'X-Idempotency-Key'],
])('idempotency keys under the %s profile', (profile, header) => {
  let api: TestServer;
  let who: TestAccount;

  beforeAll(async () => {
    api = await startTestServer({ IDEMPOTENCY_PROFILE: profile }, { listen: true });
    who = await api.newAccount();
  });

  afterAll(async () => {
    await api.close();
  });

  it('GET /v1/idempotency-keys/%00 (and other control characters, and bad UTF-8) answers 400', async () => {
    for (const encoded of ['%00', 'a%00b', '%0A', '%FF', '%C3']) {
      const answer = await keyState(api, who, encoded);
      expect({ encoded, status: answer.status }).toEqual({ encoded, status: 400 });
      expect(answer.body.code).toBe('idempotency_key_invalid');
    }
  });

  if (profile !== 'default') {
    it('reads a non-ASCII key the same way (UTF-8) from the header and from the path', async () => {
      const key = `clé-ключ-${Math.random()}`;
      expect([201, 202]).toContain(await postWithKeyBytes(api, who, header, Buffer.from(key, 'utf8')));
      const answer = await keyState(api, who, encodeURIComponent(key));
      expect(answer.status).toBe(200);
      expect(answer.body.state).toBe('completed');
    });

    it('refuses a header key that is not valid UTF-8 with 400', async () => {
      expect(await postWithKeyBytes(api, who, header, Buffer.from([0x6b, 0xff, 0x6b]))).toBe(400);
    });
  }
});
