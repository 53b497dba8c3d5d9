import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { History } from './history.ts';
import { runLoad } from './loadClient.ts';

/** A loopback API that accepts every send: 202 with a message, a replay for a key seen before. */
async function acceptingApi() {
  const received: { key: string; at: number }[] = [];
  const answeredAt = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const key = String(request.headers['idempotency-key']);
      received.push({ key, at: Date.now() });
      const replay = answeredAt.has(key);
      if (!replay) answeredAt.set(key, Date.now());
      response.writeHead(202, {
        'content-type': 'application/json',
        ...(replay ? { 'idempotent-replayed': 'true' } : {}),
      });
      response.end(JSON.stringify({ id: `msg_${key}`, status: 'accepted' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { baseUrl, received, answeredAt, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('a load that sends every key again after its answer (resendAfterMs)', () => {
  it('sends each acknowledged key exactly once more, no sooner than the delay, and waits for the last', async () => {
    const api = await acceptingApi();
    const history = new History();
    try {
      await runLoad(
        {
          baseUrl: api.baseUrl,
          apiKey: 'k',
          commands: 12,
          concurrency: 3,
          timeoutMs: 2_000,
          maxAttempts: 1,
          random: () => 0.5,
          keyPrefix: 'resend',
          ratePerSecond: 40,
          resendAfterMs: 150,
        },
        history,
      );
    } finally {
      await api.close();
    }
    const keys = Array.from({ length: 12 }, (_, index) => `resend-${index}`);
    const sends = new Map(keys.map((key) => [key, api.received.filter((each) => each.key === key)]));
    expect([...sends.values()].map((each) => each.length)).toEqual(keys.map(() => 2));
    for (const key of keys) {
      const second = sends.get(key)?.[1]?.at ?? 0;
      expect(second - (api.answeredAt.get(key) ?? Number.POSITIVE_INFINITY)).toBeGreaterThanOrEqual(150);
    }
    const replays = history.attempts.filter((attempt) => attempt.outcome === 'ok' && attempt.replayed);
    expect(replays.map((attempt) => attempt.key).sort()).toEqual([...keys].sort());
  });

  it('sends nothing again without it', async () => {
    const api = await acceptingApi();
    try {
      await runLoad(
        {
          baseUrl: api.baseUrl,
          apiKey: 'k',
          commands: 5,
          concurrency: 2,
          timeoutMs: 2_000,
          maxAttempts: 1,
          random: () => 0.5,
          keyPrefix: 'once',
        },
        new History(),
      );
    } finally {
      await api.close();
    }
    expect(api.received.map((each) => each.key).sort()).toEqual(
      ['once-0', 'once-1', 'once-2', 'once-3', 'once-4'].sort(),
    );
  });
});
