import { createServer, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface ReceivedDelivery {
  id: string;
  status: number;
  verified: boolean;
  body: { type: string; timestamp: string; data: Record<string, unknown> };
}

/**
 * A webhook receiver on 127.0.0.1 that verifies each request's signature with the standardwebhooks
 * library, answers 500 to the first `failFirst` requests (or to all while `failing`), and
 * "processes" each webhook-id at most once, as a receiver following the specification would.
 */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  /** How many times each webhook-id was processed (answered 2xx after verification). */
  readonly processed = new Map<string, number>();
  failFirst = 0;
  failing = false;
  private server: Server | undefined;
  url = '';

  constructor(private secret: string) {}

  useSecret(secret: string): void {
    this.secret = secret;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const payload = Buffer.concat(chunks).toString('utf8');
        const headers = {
          'webhook-id': String(request.headers['webhook-id']),
          'webhook-timestamp': String(request.headers['webhook-timestamp']),
          'webhook-signature': String(request.headers['webhook-signature']),
        };
        let verified = true;
        try {
          new Webhook(this.secret).verify(payload, headers);
        } catch {
          verified = false;
        }
        let status = 200;
        if (!verified) status = 401;
        else if (this.failing || this.failFirst > 0) {
          this.failFirst = Math.max(0, this.failFirst - 1);
          status = 500;
        } else
          this.processed.set(headers['webhook-id'], (this.processed.get(headers['webhook-id']) ?? 0) + 1);
        this.received.push({ id: headers['webhook-id'], status, verified, body: JSON.parse(payload) });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    this.url = `http://127.0.0.1:${address.port}/hook`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
