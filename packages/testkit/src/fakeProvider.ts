import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ProviderCall {
  key: string;
  at: number;
  bodySha256: string;
  /** What the provider answered: a first send, a replay of the key's first answer, or a failure. */
  outcome: 'sent' | 'replayed' | 'failed' | 'stalled';
}

export type FailureMode =
  | { kind: 'none' }
  /** Answers 500 to the next `count` calls, then works again. */
  | { kind: 'fail-next'; count: number }
  /** Answers 500 to each call with this probability (from the seeded `random`). */
  | { kind: 'fail-rate'; rate: number }
  /** Holds every call open without answering until `heal()`. */
  | { kind: 'stall' };

/**
 * A fake messaging provider on 127.0.0.1 that honours idempotency keys like a real one: the
 * first call with a key is a send; later calls with the key replay the first answer. It
 * counts everything, so tests can tell sends from retries, and can fail or stall on demand.
 */
export class FakeProvider {
  readonly calls: ProviderCall[] = [];
  private readonly firstAnswer = new Map<string, { providerMessageId: string }>();
  private failure: FailureMode = { kind: 'none' };
  private readonly stalled = new Set<ServerResponse>();
  private server: Server | undefined;
  private readonly header: string;
  private readonly random: () => number;

  constructor(options: { idempotencyHeader?: string; random?: () => number } = {}) {
    this.header = (options.idempotencyHeader ?? 'idempotency-key').toLowerCase();
    this.random = options.random ?? Math.random;
  }

  /** Starts listening on 127.0.0.1; returns the URL to configure as the provider's endpoint. */
  async listen(port = 0): Promise<string> {
    const server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    return `http://127.0.0.1:${(server.address() as { port: number }).port}/send`;
  }

  failWith(mode: FailureMode): void {
    this.failure = mode;
  }

  /** Stops failing and answers every stalled call. */
  heal(): void {
    this.failure = { kind: 'none' };
    for (const response of this.stalled) response.destroy();
    this.stalled.clear();
  }

  /** Keys the provider sent for (a replay is not a send). */
  get sentKeys(): Set<string> {
    return new Set(this.firstAnswer.keys());
  }

  /** How many calls carried each key (every attempt, replays and failures included). */
  callsPerKey(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const call of this.calls) counts.set(call.key, (counts.get(call.key) ?? 0) + 1);
    return counts;
  }

  async close(): Promise<void> {
    this.heal();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
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
    const call: ProviderCall = {
      key,
      at: Date.now(),
      bodySha256: createHash('sha256').update(body).digest('hex'),
      outcome: 'failed',
    };
    this.calls.push(call);
    if (this.shouldFail()) {
      if (this.failure.kind === 'stall') {
        call.outcome = 'stalled';
        this.stalled.add(response);
        return;
      }
      response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"injected failure"}');
      return;
    }
    const previous = this.firstAnswer.get(key);
    call.outcome = previous ? 'replayed' : 'sent';
    const answer = previous ?? { providerMessageId: `prov_${this.firstAnswer.size + 1}` };
    if (!previous) this.firstAnswer.set(key, answer);
    response
      .writeHead(previous ? 200 : 201, {
        'content-type': 'application/json',
        'idempotent-replayed': String(!!previous),
      })
      .end(JSON.stringify(answer));
  }

  private shouldFail(): boolean {
    switch (this.failure.kind) {
      case 'none':
        return false;
      case 'stall':
        return true;
      case 'fail-next':
        if (this.failure.count <= 0) return false;
        this.failure = { kind: 'fail-next', count: this.failure.count - 1 };
        return true;
      case 'fail-rate':
        return this.random() < this.failure.rate;
    }
  }
}
