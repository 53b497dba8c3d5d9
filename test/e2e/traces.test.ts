// One command's trace, end to end: the ingest API, a relay and a dispatcher run as real processes
// exporting over OTLP/HTTP (JSON) to a receiver in this test, which rebuilds the span tree from the
// HTTP request to the provider call across the outbox and the Kafka hop.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { createAccount, eventually, Pipeline } from '@exactly/testkit';

interface ReceivedSpan {
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
}

/** An OTLP/HTTP receiver on 127.0.0.1 that keeps every span it is sent (JSON encoding). */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    void readBody(request).then((body) => {
      if (request.url === '/v1/traces') spans.push(...decodeTraces(body));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, spans, server };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return (request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
}

interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { spans?: Omit<ReceivedSpan, 'service'>[] }[];
  }[];
}

function decodeTraces(body: string): ReceivedSpan[] {
  const decoded = JSON.parse(body) as OtlpJson;
  return (decoded.resourceSpans ?? []).flatMap((resourceSpans) => {
    const service =
      resourceSpans.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value
        .stringValue ?? '';
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        service,
        name: span.name,
        kind: span.kind,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
      })),
    );
  });
}

/** A provider endpoint that answers every send with 200 and keeps the `traceparent` it was sent. */
async function startProvider(): Promise<{ url: string; traceparents: string[]; server: Server }> {
  const traceparents: string[] = [];
  const server = createServer((request, response) => {
    void readBody(request).then(() => {
      traceparents.push(String(request.headers.traceparent ?? ''));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"provider-1"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/send`,
    traceparents,
    server,
  };
}

describe('a command with tracing on', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let provider: Awaited<ReturnType<typeof startProvider>>;
  let pipeline: Pipeline;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    provider = await startProvider();
    const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '200' };
    pipeline = new Pipeline({
      prefix: 'traces',
      providerUrl: provider.url,
      env: {
        ingest: { ...tracing, LOG_LEVEL: 'info', WEBHOOKS_ALLOW_PRIVATE_URLS: 'true' },
        relay: tracing,
        dispatcher: { ...tracing, WEBHOOKS_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_POLL_INTERVAL: '200ms' },
      },
    });
    await pipeline.start();
  }, 120_000);

  afterAll(async () => {
    await pipeline?.stop();
    receiver?.server.close();
    provider?.server.close();
  });

  it('is one trace from the HTTP request to the provider call, across the outbox and Kafka', async () => {
    const caller = await createAccount(`traces-${randomBytes(4).toString('hex')}`);
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const response = await fetch(`${pipeline.baseUrl}/v1/messages`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${caller.apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': `traces-${traceId}`,
        traceparent: `00-${traceId}-${callerSpanId}-01`,
      },
      body: JSON.stringify({ channel: 'sms', to: '+15555550123', from: 'ACME', text: 'traced' }),
    });
    expect(response.status).toBe(202);

    const names = [
      'POST /v1/messages',
      'ingest transaction',
      'publish',
      'inbox transaction',
      'effect',
      'provider call',
    ];
    const ofTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
    const named = (name: string) =>
      ofTrace().find((span) => span.name === name || span.name.startsWith(`${name} `));
    await eventually(
      'the six spans of the command',
      () => names.every((name) => named(name) !== undefined),
      60_000,
    ).catch((error: unknown) => {
      const got = ofTrace().map((span) => `${span.service}: ${span.name}`);
      throw new Error(`${(error as Error).message}; the trace's spans received: ${got.join(', ') || 'none'}`);
    });

    const chain = names.map((name) => named(name) as ReceivedSpan);
    // Each step's parent is the step before; the first continues the caller's span.
    expect(chain.map((span) => span.parentSpanId)).toEqual([
      callerSpanId,
      ...chain.slice(0, -1).map((span) => span.spanId),
    ]);
    expect(chain.map((span) => span.service)).toEqual([
      'ingest-api',
      'ingest-api',
      'relay',
      'dispatcher',
      'dispatcher',
      'dispatcher',
    ]);
    // SERVER, INTERNAL, PRODUCER, CONSUMER, INTERNAL, CLIENT (OTLP's numbering).
    expect(chain.map((span) => span.kind)).toEqual([2, 1, 4, 5, 1, 3]);
    // The provider was sent the provider call span's context.
    const call = chain[5] as ReceivedSpan;
    expect(provider.traceparents).toContain(`00-${traceId}-${call.spanId}-01`);
    // The request's log line carries the trace id.
    expect(pipeline.logs()).toContain(`"trace_id":"${traceId}"`);
  }, 90_000);

  it("carries on into each webhook delivery of the command's events", async () => {
    const caller = await createAccount(`traces-hooks-${randomBytes(4).toString('hex')}`);
    const hooks = await startProvider();
    try {
      const headers = { authorization: `Bearer ${caller.apiKey}`, 'content-type': 'application/json' };
      const created = await fetch(`${pipeline.baseUrl}/v1/webhook-endpoints`, {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': `hook-${randomBytes(4).toString('hex')}` },
        body: JSON.stringify({ url: hooks.url, eventTypes: ['MessageAccepted'] }),
      });
      expect(created.status).toBe(201);
      const traceId = randomBytes(16).toString('hex');
      const sent = await fetch(`${pipeline.baseUrl}/v1/messages`, {
        method: 'POST',
        headers: {
          ...headers,
          'idempotency-key': `traces-hook-${traceId}`,
          traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
        },
        body: JSON.stringify({ channel: 'sms', to: '+15555550124', from: 'ACME', text: 'hooked' }),
      });
      expect(sent.status).toBe(202);

      const ofTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
      await eventually(
        'the webhook delivery span',
        () => ofTrace().some((span) => span.name === 'webhook delivery'),
        60_000,
      ).catch((error: unknown) => {
        const got = ofTrace().map((span) => `${span.service}: ${span.name}`);
        throw new Error(
          `${(error as Error).message}; the trace's spans received: ${got.join(', ') || 'none'}; deliveries received: ${hooks.traceparents.join(', ') || 'none'}; all delivery spans: ${receiver.spans.filter((span) => span.name === 'webhook delivery').length}`,
        );
      });
      const delivery = ofTrace().find((span) => span.name === 'webhook delivery') as ReceivedSpan;
      expect({ service: delivery.service, kind: delivery.kind }).toEqual({ service: 'dispatcher', kind: 3 });
      // Its parent is the relay's publish of the event record, in the same trace.
      const parent = ofTrace().find((span) => span.spanId === delivery.parentSpanId);
      expect({ service: parent?.service, kind: parent?.kind }).toEqual({ service: 'relay', kind: 4 });
      // The receiver was sent the delivery span's context.
      expect(hooks.traceparents).toContain(`00-${traceId}-${delivery.spanId}-01`);
    } finally {
      hooks.server.close();
    }
  }, 90_000);
});
