import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { freePort } from '@exactly/testkit';
import { classifyHttpError, classifyHttpResponse, createHttpProvider } from './httpProvider.js';

const headers = (entries: IncomingHttpHeaders = {}) => entries;

describe("classifying an HTTP provider's answer", () => {
  it('accepts any 2xx, noting a replay and the provider id', () => {
    expect(classifyHttpResponse(201, headers(), '{"id":"p1"}')).toEqual({
      status: 'accepted',
      replayed: false,
      providerMessageId: 'p1',
    });
    expect(classifyHttpResponse(200, headers({ 'idempotent-replayed': 'true' }), '')).toEqual({
      status: 'accepted',
      replayed: true,
    });
  });

  it.each([408, 409, 425, 429, 500, 502, 503, 504])('retries %d', (status) => {
    expect(classifyHttpResponse(status, headers(), 'busy')).toMatchObject({
      status: 'failed',
      retryable: true,
    });
  });

  it.each([400, 401, 403, 404, 422])('fails permanently on %d', (status) => {
    expect(classifyHttpResponse(status, headers(), 'no')).toMatchObject({
      status: 'failed',
      retryable: false,
      error: `HTTP ${status}: no`,
    });
  });

  it('does not follow a redirect: a permanent failure naming where to point the URL', () => {
    expect(classifyHttpResponse(308, headers({ location: 'https://sms.example/v2/send' }), '')).toEqual({
      status: 'failed',
      retryable: false,
      error: 'HTTP 308: redirects are not followed; point HTTP_PROVIDER_URL at https://sms.example/v2/send',
    });
    expect(classifyHttpResponse(302, headers(), '')).toMatchObject({ status: 'failed', retryable: false });
  });

  it('keeps an error body storable (no NUL) and short', () => {
    const outcome = classifyHttpResponse(500, headers(), `a\u0000b${'x'.repeat(5_000)}`);
    if (outcome.status !== 'failed') throw new Error('not a failure');
    expect(outcome.error).not.toContain('\u0000');
    expect(outcome.error.length).toBeLessThan(300);
  });
});

describe('classifying an HTTP call that got no answer', () => {
  const request = {
    providerKey: 'msg_1',
    messageId: 'msg_1',
    accountId: 'acc_1',
    attempt: 1,
    message: { channel: 'sms', to: '+15550000000', from: 'ACME', text: 'hi' },
  } as const;

  /** A local server that reads each request and then does `then` with its socket. */
  async function server(
    then: (socket: Socket) => void,
  ): Promise<{ url: string; close: () => Promise<void> }> {
    const http = createServer((incoming) => {
      incoming.resume();
      incoming.on('end', () => then(incoming.socket));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}/send`,
      close: () => {
        http.closeAllConnections();
        return new Promise((resolve) => http.close(() => resolve()));
      },
    };
  }

  it('is retryable before sending when no connection could be made (ECONNREFUSED)', async () => {
    const port = await freePort();
    const provider = createHttpProvider({ url: `http://127.0.0.1:${port}/send` });
    const outcome = await provider.send(request, AbortSignal.timeout(5_000));
    expect(outcome).toMatchObject({
      status: 'failed',
      retryable: true,
      error: expect.stringMatching(/ECONNREFUSED/),
    });
    expect(outcome).not.toHaveProperty('ambiguous', true);
  });

  it('is ambiguous when the request was written and the answer timed out', async () => {
    const silent = await server(() => {});
    try {
      const outcome = await createHttpProvider({ url: silent.url }).send(request, AbortSignal.timeout(300));
      expect(outcome).toMatchObject({ status: 'failed', retryable: true, ambiguous: true });
    } finally {
      await silent.close();
    }
  });

  it('is ambiguous when the connection was reset after the request was written', async () => {
    const resetting = await server((socket) => socket.resetAndDestroy());
    try {
      const outcome = await createHttpProvider({ url: resetting.url }).send(
        request,
        AbortSignal.timeout(5_000),
      );
      expect(outcome).toMatchObject({ status: 'failed', retryable: true, ambiguous: true });
    } finally {
      await resetting.close();
    }
  });

  it('sends the provider key in the configured header, the same on every attempt', async () => {
    const seen: { url?: string; headers: IncomingHttpHeaders }[] = [];
    const http = createServer((incoming, reply) => {
      seen.push({ url: incoming.url, headers: incoming.headers });
      incoming.resume();
      incoming.on('end', () =>
        reply.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"p9"}'),
      );
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as { port: number };
    const provider = createHttpProvider({ url: `http://127.0.0.1:${port}/send?v=2`, keyHeader: 'X-Key' });
    try {
      const first = await provider.send(request, AbortSignal.timeout(5_000));
      const second = await provider.send({ ...request, attempt: 2 }, AbortSignal.timeout(5_000));
      expect([first, second]).toEqual([
        { status: 'accepted', replayed: false, providerMessageId: 'p9' },
        { status: 'accepted', replayed: false, providerMessageId: 'p9' },
      ]);
      expect(
        seen.map(({ url, headers: h }) => [url, h['x-key'], h['exactly-attempt'], h['content-type']]),
      ).toEqual([
        ['/send?v=2', 'msg_1', '1', 'application/json'],
        ['/send?v=2', 'msg_1', '2', 'application/json'],
      ]);
    } finally {
      await provider.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('is a definite failure when the provider refuses the send (422), and not ambiguous', () => {
    expect(classifyHttpResponse(422, headers(), 'bad')).toEqual({
      status: 'failed',
      retryable: false,
      error: 'HTTP 422: bad',
    });
    expect(classifyHttpError(new Error('other'), true)).toMatchObject({ ambiguous: true });
  });
});
