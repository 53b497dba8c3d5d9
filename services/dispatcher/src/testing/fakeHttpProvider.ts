import { createServer, type IncomingMessage, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A provider on 127.0.0.1 that honours idempotency keys like a real one: the first request with a
 * key is a send, later ones are replays (200 with `Idempotent-Replayed: true`). It counts sends
 * and requests per key, can answer errors for the next N requests, and can stall its answers.
 */
export class FakeHttpProvider {
  readonly sends = new Map<string, number>();
  readonly requests = new Map<string, number>();
  /** Requests whose key header differed from the message id in the body. */
  readonly keyMismatches: string[] = [];
  private failures: { remaining: number; status: number } = { remaining: 0, status: 500 };
  private stallMs = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      void this.handle(request).then(({ status, headers, body }) => {
        response.writeHead(status, { 'content-type': 'application/json', ...headers });
        response.end(body);
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    this.url = `http://127.0.0.1:${address.port}/send`;
    return this;
  }

  /** The next `count` requests are answered with `status` (and not sent). */
  failNext(count: number, status = 500): void {
    this.failures = { remaining: count, status };
  }

  /** Sends are recorded at once but answered only after `ms` (0: at once). */
  stall(ms: number): void {
    this.stallMs = ms;
  }

  get totalSends(): number {
    return this.sends.size;
  }

  get totalRequests(): number {
    let total = 0;
    for (const count of this.requests.values()) total += count;
    return total;
  }

  async waitForSends(count: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.totalSends < count) {
      if (Date.now() > deadline)
        throw new Error(`only ${this.totalSends} of ${count} sends after ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Waits until every one of `keys` was sent. */
  async waitForKeys(keys: readonly string[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const missing = keys.filter((key) => !this.sends.has(key));
      if (missing.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(`${missing.length} of ${keys.length} keys not sent after ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async handle(request: IncomingMessage) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { messageId?: string };
    const key = String(request.headers['idempotency-key'] ?? '');
    if (key !== body.messageId) this.keyMismatches.push(key);
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    if (this.failures.remaining > 0) {
      this.failures.remaining -= 1;
      return { status: this.failures.status, headers: {}, body: '{"error":"injected failure"}' };
    }
    const replayed = this.sends.has(key);
    this.sends.set(key, (this.sends.get(key) ?? 0) + (replayed ? 0 : 1));
    if (this.stallMs > 0) await sleep(this.stallMs);
    return {
      status: 200,
      headers: replayed ? { 'idempotent-replayed': 'true' } : {},
      body: JSON.stringify({ id: `prov_${key}` }),
    };
  }
}
