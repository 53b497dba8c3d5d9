import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProviderCall {
  key: string;
  /** When the call arrived: ms since the epoch on the shared clock (`performance.timeOrigin + performance.now()`). */
  at: number;
  bodySha256: string;
  /** The account the body names (the http provider sends it), if any. */
  accountId?: string;
  /**
   * What the provider answered: a send, a replay of the key's first answer (only when it honours
   * keys), a failure, or nothing yet (stalled).
   */
  outcome: 'sent' | 'replayed' | 'failed' | 'stalled';
}

export type FailureMode =
  | { kind: 'none' }
  /** Answers `status` (default 500) to the next `count` calls, then works again. */
  | { kind: 'fail-next'; count: number; status?: number }
  /** Answers 500 to each call with this probability (from the seeded `random`). */
  | { kind: 'fail-rate'; rate: number }
  /** Holds every call open without answering until `heal()`. */
  | { kind: 'stall' };

export interface FakeProviderOptions {
  idempotencyHeader?: string;
  random?: () => number;
  /**
   * Whether a repeated key is answered as a replay of the first send (a provider that honours
   * idempotency keys) or sent again (an SMS carrier or a mail server: the default, so a repeat
   * shows as a second send).
   */
  honoursKeys?: boolean;
  /** How long each send waits before it is answered (it counts as sent when it arrives). */
  delayMs?: number;
}

/**
 * A fake messaging provider on 127.0.0.1. It logs every call with its key, so a repeated call is
 * visible. By default it does NOT deduplicate: every call that is not failed is a send, as with
 * a carrier that ignores keys; with `honoursKeys` a repeated key replays the first answer. It can
 * fail, stall or delay on demand.
 */
export class FakeProvider {
  readonly calls: ProviderCall[] = [];
  /** Sends per key (a replay is not a send): more than 1 is a message delivered twice. */
  readonly sends = new Map<string, number>();
  /** Calls per key, every one (replays and failures included). */
  readonly requests = new Map<string, number>();
  /** Calls whose key header differed from the message id in the body. */
  readonly keyMismatches: string[] = [];
  readonly honoursKeys: boolean;
  private readonly firstAnswer = new Map<string, { providerMessageId: string }>();
  private failure: FailureMode = { kind: 'none' };
  private readonly stalled = new Set<ServerResponse>();
  private server: Server | undefined;
  private readonly header: string;
  private readonly random: () => number;
  private delayMs: number;
  url = '';

  constructor(options: FakeProviderOptions = {}) {
    this.header = (options.idempotencyHeader ?? 'idempotency-key').toLowerCase();
    this.random = options.random ?? Math.random;
    this.honoursKeys = options.honoursKeys ?? false;
    this.delayMs = options.delayMs ?? 0;
  }

  /** Starts listening on 127.0.0.1; returns the URL to configure as the provider's endpoint. */
  async listen(port = 0): Promise<string> {
    const server = createServer((request, response) => void this.handle(request, response));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/send`;
    return this.url;
  }

  /** `listen()` on any port, returning the provider itself. */
  async start(): Promise<this> {
    await this.listen();
    return this;
  }

  failWith(mode: FailureMode): void {
    this.failure = mode;
  }

  /** The next `count` calls are answered with `status` (and not sent); 0 stops failing. */
  failNext(count: number, status = 500): void {
    this.failure = count > 0 ? { kind: 'fail-next', count, status } : { kind: 'none' };
  }

  /** Sends are recorded when they arrive but answered only after `ms` (0: at once). */
  stall(ms: number): void {
    this.delayMs = ms;
  }

  /** Stops failing and drops every stalled call without an answer. */
  heal(): void {
    this.failure = { kind: 'none' };
    for (const response of this.stalled) response.destroy();
    this.stalled.clear();
  }

  /** Forgets every call, send and first answer (a benchmark's next phase), keeping the failure mode. */
  reset(): void {
    this.calls.length = 0;
    this.sends.clear();
    this.requests.clear();
    this.keyMismatches.length = 0;
    this.firstAnswer.clear();
  }

  /** Keys the provider sent for at least once. */
  get sentKeys(): Set<string> {
    return new Set(this.sends.keys());
  }

  get totalSends(): number {
    let total = 0;
    for (const count of this.sends.values()) total += count;
    return total;
  }

  get totalRequests(): number {
    return this.calls.length;
  }

  /** Keys sent more than once: each is a person who got the message twice. */
  repeatedKeys(): string[] {
    return [...this.sends].filter(([, count]) => count > 1).map(([key]) => key);
  }

  /** How many calls carried each key (every attempt, replays and failures included). */
  callsPerKey(): Map<string, number> {
    return new Map(this.requests);
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
    this.heal();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = performance.timeOrigin + performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const key = request.headers[this.header];
    if (typeof key !== 'string' || key === '') {
      response
        .writeHead(400, { 'content-type': 'application/json' })
        .end('{"error":"idempotency key missing"}');
      return;
    }
    const { messageId, accountId } = idsOf(body);
    if (messageId !== undefined && messageId !== key) this.keyMismatches.push(key);
    const call: ProviderCall = {
      key,
      at,
      bodySha256: createHash('sha256').update(body).digest('hex'),
      ...(accountId === undefined ? {} : { accountId }),
      outcome: 'failed',
    };
    this.calls.push(call);
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const failing = this.failing();
    if (failing !== undefined) {
      if (failing === 'stall') {
        call.outcome = 'stalled';
        this.stalled.add(response);
        return;
      }
      response.writeHead(failing, { 'content-type': 'application/json' }).end('{"error":"injected failure"}');
      return;
    }
    const previous = this.honoursKeys ? this.firstAnswer.get(key) : undefined;
    call.outcome = previous ? 'replayed' : 'sent';
    const answer = previous ?? { providerMessageId: `prov_${this.calls.length}` };
    if (!previous) {
      this.sends.set(key, (this.sends.get(key) ?? 0) + 1);
      if (!this.firstAnswer.has(key)) this.firstAnswer.set(key, answer);
    }
    if (this.delayMs > 0) await sleep(this.delayMs);
    if (response.destroyed) return;
    response
      .writeHead(previous ? 200 : 201, {
        'content-type': 'application/json',
        'idempotent-replayed': String(!!previous),
      })
      .end(JSON.stringify({ id: answer.providerMessageId, ...answer }));
  }

  /** The status to fail this call with, 'stall', or undefined to serve it. */
  private failing(): number | 'stall' | undefined {
    switch (this.failure.kind) {
      case 'none':
        return undefined;
      case 'stall':
        return 'stall';
      case 'fail-next': {
        if (this.failure.count <= 0) return undefined;
        const status = this.failure.status ?? 500;
        this.failure = { ...this.failure, count: this.failure.count - 1 };
        return status;
      }
      case 'fail-rate':
        return this.random() < this.failure.rate ? 500 : undefined;
    }
  }
}

function idsOf(body: Buffer): { messageId?: string; accountId?: string } {
  try {
    const parsed = JSON.parse(body.toString()) as { messageId?: unknown; accountId?: unknown };
    return {
      ...(typeof parsed.messageId === 'string' ? { messageId: parsed.messageId } : {}),
      ...(typeof parsed.accountId === 'string' ? { accountId: parsed.accountId } : {}),
    };
  } catch {
    return {};
  }
}
