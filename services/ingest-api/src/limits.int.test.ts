import { request } from 'node:http';
import { connect } from 'node:net';
import {
  email,
  startTestServer,
  storedFor,
  type TestAccount,
  type TestServer,
} from './testing/startTestServer.js';

let api: TestServer;
let who: TestAccount;

beforeAll(async () => {
  api = await startTestServer({}, { listen: true });
  who = await api.newAccount();
});

afterAll(async () => {
  await api.close();
});

/** POSTs over a real TCP connection with node:http, streaming the body in 64 KiB chunks. */
function post(body: Buffer, { chunked = false } = {}) {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const outgoing = request(
      `${api.url}/v1/messages`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${who.apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': `big-${Math.random()}`,
          ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(body.length) }),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            type: String(response.headers['content-type']),
            body: text,
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    (async () => {
      for (let start = 0; start < body.length; start += 65_536) {
        if (!outgoing.write(body.subarray(start, start + 65_536))) {
          await new Promise((drained) => outgoing.once('drain', drained));
        }
      }
      outgoing.end();
    })().catch(reject);
  });
}

const sixMiB = () => Buffer.from(JSON.stringify(email({ text: 'x'.repeat(6 * 1024 * 1024) })));

describe('a body over BODY_LIMIT sent over TCP', () => {
  it('gets a 413 problem that the client receives (Content-Length)', async () => {
    const answer = await post(sixMiB());
    expect(answer.status).toBe(413);
    expect(answer.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('gets a 413 problem that the client receives (chunked)', async () => {
    const answer = await post(sixMiB(), { chunked: true });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'payload_too_large' });
  });

  it('gets a 413 problem even when the client reads only after sending its whole body', async () => {
    const { hostname, port } = new URL(api.url);
    const body = sixMiB();
    const socket = connect({ host: hostname, port: Number(port) });
    await new Promise((connected) => socket.once('connect', connected));
    socket.pause();
    const sent = await new Promise<string>((resolve) => {
      setTimeout(() => resolve('stuck for 20 s'), 20_000).unref();
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      socket.write(
        `POST /v1/messages HTTP/1.1\r\nHost: ${hostname}\r\nauthorization: Bearer ${who.apiKey}\r\n` +
          `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
      );
      socket.write(body, (error) => resolve(error ? 'error' : 'sent'));
    });
    const received = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(`${text}[${error.code}]`));
      socket.once('end', () => resolve(text));
      socket.resume();
    });
    socket.destroy();
    expect(sent).toBe('sent');
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(received).toMatch(/"code":"payload_too_large"/);
  });

  it('gets a 413 through fetch as well', async () => {
    const response = await fetch(`${api.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${who.apiKey}`, 'content-type': 'application/json' },
      body: sixMiB(),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'payload_too_large' });
  });
});

describe('a command whose record could never be published', () => {
  it('is refused at the door naming the limit, and nothing is stored', async () => {
    const huge = email({ text: 'a'.repeat(100_000), html: `<p>${'b'.repeat(1_000_000 - 7)}</p>` });
    const answer = await post(Buffer.from(JSON.stringify(huge)));
    expect(answer.status).toBe(413);
    const problem = JSON.parse(answer.body) as { code: string; detail: string };
    expect(problem.code).toBe('payload_too_large');
    expect(problem.detail).toMatch(/1048588/);
    const stored = await storedFor(api.orm, who.accountId);
    expect(stored.messages).toEqual([]);
    expect(stored.outbox).toEqual([]);
  });
});
