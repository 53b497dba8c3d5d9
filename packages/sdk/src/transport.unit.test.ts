import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeClock } from './fakeClock.js';
import { createClient, ExactlyApiError, ExactlyNetworkError } from './index.js';

interface Scripted {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Hold the response this long (to trip the client's timeout). */
  delayMs?: number;
}

/** A loopback HTTP server that answers from a script and records what it received. */
async function scriptedServer(script: Scripted[]) {
  const received: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      const next = script.shift() ?? { status: 500, body: { code: 'internal', detail: 'script ran out' } };
      const answer = () => {
        if (response.destroyed) return;
        const type = next.status >= 400 ? 'application/problem+json' : 'application/json';
        response.writeHead(next.status, { 'content-type': type, ...next.headers });
        response.end(JSON.stringify(next.body));
      };
      if (next.delayMs) setTimeout(answer, next.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { baseUrl, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

const command = { channel: 'sms', to: '+15551234567', from: 'ACME', text: 'hi' } as const;
const message = {
  id: 'msg_1',
  status: 'accepted',
  channel: 'sms',
  to: '+15551234567',
  from: 'ACME',
  createdAt: '2026-11-22T12:00:00.000Z',
};

describe('a send that fails with a retryable answer', () => {
  it('retries with the same idempotency key and honours Retry-After', async () => {
    const server = await scriptedServer([
      { status: 503, body: { code: 'overloaded', detail: 'busy' }, headers: { 'retry-after': '3' } },
      { status: 409, body: { code: 'idempotency_key_in_flight', detail: 'in flight' } },
      { status: 202, body: message, headers: { 'idempotent-replayed': 'true' } },
    ]);
    const clock = fakeClock();
    const client = createClient({ baseUrl: server.baseUrl, apiKey: 'k', clock, random: () => 0.5 });
    const result = await client.messages.send(command);
    await server.close();

    expect(result).toMatchObject({ message, replayed: true, status: 202 });
    const keys = server.received.map((request) => request.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(new Set(keys)).toEqual(new Set([result.idempotencyKey]));
    expect(clock.sleeps).toEqual([3_000, 200]);
  });
});

describe("a 408 Request Timeout (the server's HTTP layer gave up reading the request)", () => {
  it('is retried with the same key: the request was never handled (RFC 9110 §15.5.9)', async () => {
    const server = await scriptedServer([
      // What Node's HTTP server sends through Fastify's default clientError handler.
      { status: 408, body: { error: 'Request Timeout', message: 'Client Timeout', statusCode: 408 } },
      { status: 202, body: message },
    ]);
    const client = createClient({
      baseUrl: server.baseUrl,
      apiKey: 'k',
      clock: fakeClock(),
      random: () => 0.5,
    });
    const result = await client.messages.send(command).finally(server.close);

    expect(result).toMatchObject({ message, status: 202 });
    const keys = server.received.map((request) => request.headers['idempotency-key']);
    expect(keys).toEqual([result.idempotencyKey, result.idempotencyKey]);
  });
});

describe('answers no retry can fix', () => {
  it.each([
    [422, 'idempotency_key_reused'],
    [409, 'idempotency_key_reused'],
    [400, 'invalid_request'],
    [401, 'unauthenticated'],
  ])('%d %s is thrown at once, typed from the problem details', async (status, code) => {
    const server = await scriptedServer([
      {
        status,
        body: {
          code,
          detail: 'no',
          type: 'https://exactly.dev/problems/x',
          errors: [{ path: 'to', message: 'bad' }],
        },
      },
    ]);
    const client = createClient({ baseUrl: server.baseUrl, apiKey: 'k', clock: fakeClock() });
    const error = await client.messages.send(command).catch((thrown: unknown) => thrown);
    await server.close();
    expect(server.received).toHaveLength(1);
    expect(error).toBeInstanceOf(ExactlyApiError);
    expect(error).toMatchObject({
      status,
      code,
      retryable: false,
      fieldErrors: [{ path: 'to', message: 'bad' }],
    });
  });
});

describe('a request that gets no answer in time', () => {
  it('is retried, then reported as a network error after the last attempt', async () => {
    const server = await scriptedServer([
      { status: 202, body: message, delayMs: 500 },
      { status: 202, body: message, delayMs: 500 },
    ]);
    const clock = fakeClock();
    const client = createClient({
      baseUrl: server.baseUrl,
      apiKey: 'k',
      timeoutMs: 50,
      maxRetries: 1,
      clock,
      random: () => 0,
    });
    const error = await client.messages.send(command).catch((thrown: unknown) => thrown);
    await server.close();
    expect(error).toBeInstanceOf(ExactlyNetworkError);
    expect(error).toMatchObject({ timedOut: true, retryable: true });
    expect(clock.sleeps).toEqual([0]);
  });
});

describe('a command that breaks the contract', () => {
  it('is refused before any request, with the failing fields', async () => {
    const server = await scriptedServer([]);
    const client = createClient({ baseUrl: server.baseUrl, apiKey: 'k' });
    const error = await client.messages
      .send({ ...command, to: 'not a number' })
      .catch((thrown: unknown) => thrown);
    await server.close();
    expect(server.received).toHaveLength(0);
    expect(error).toMatchObject({ status: 400, code: 'invalid_request', fieldErrors: [{ path: 'to' }] });
  });
});

describe('a caller-given key', () => {
  it('is sent as given', async () => {
    const server = await scriptedServer([{ status: 202, body: message }]);
    const client = createClient({
      baseUrl: server.baseUrl,
      apiKey: 'k',
      idempotencyHeader: 'X-Idempotency-Key',
    });
    const result = await client.messages.send(command, { idempotencyKey: 'order-1042' });
    await server.close();
    expect(result.idempotencyKey).toBe('order-1042');
    expect(server.received[0]?.headers['x-idempotency-key']).toBe('order-1042');
    expect(server.received[0]?.headers.authorization).toBe('Bearer k');
  });
});

describe('listing messages', () => {
  it('follows the cursor across pages', async () => {
    const server = await scriptedServer([
      { status: 200, body: { data: [message], nextCursor: 'c1' } },
      { status: 200, body: { data: [{ ...message, id: 'msg_0' }], nextCursor: null } },
    ]);
    const client = createClient({ baseUrl: server.baseUrl, apiKey: 'k' });
    const ids: string[] = [];
    for await (const item of client.messages.list({ status: 'accepted', limit: 1 })) ids.push(item.id);
    await server.close();
    expect(ids).toEqual(['msg_1', 'msg_0']);
    expect(server.received.map((request) => request.url)).toEqual([
      '/v1/messages?status=accepted&limit=1',
      '/v1/messages?status=accepted&limit=1&cursor=c1',
    ]);
  });
});
