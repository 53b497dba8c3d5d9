import { Writable } from 'node:stream';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { inSpan, SpanKind, startTracing, traceLogFields, traceparentOf, tracingEnabled } from './index.js';
import { tracesUrl } from './startTracing.js';

describe('tracing', () => {
  it('is off without an endpoint: nothing registered, work runs untraced', async () => {
    const tracing = startTracing('test', {});
    expect(tracing.enabled).toBe(false);
    expect(tracingEnabled()).toBe(false);
    const traceparent = await inSpan('work', {}, async () => traceparentOf());
    expect(traceparent).toBeUndefined();
  });

  it('continues a trace across a traceparent carried by a row or a record', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing('test', {}, { spanProcessors: [new SimpleSpanProcessor(exporter)] });
    try {
      const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const carried = await inSpan('produce', { parent: incoming, kind: SpanKind.PRODUCER }, async () =>
        inSpan('inner', {}, async () => traceparentOf()),
      );
      await inSpan('consume', { parent: carried, kind: SpanKind.CONSUMER }, async () => {
        throw new Error('provider down');
      }).catch(() => undefined);
      const spans = exporter.getFinishedSpans();
      const byName = new Map(spans.map((span) => [span.name, span]));
      expect([...byName.keys()].sort()).toEqual(['consume', 'inner', 'produce']);
      for (const span of spans) expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(byName.get('produce')?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      expect(byName.get('inner')?.parentSpanContext?.spanId).toBe(
        byName.get('produce')?.spanContext().spanId,
      );
      expect(byName.get('consume')?.parentSpanContext?.spanId).toBe(
        byName.get('inner')?.spanContext().spanId,
      );
      expect(byName.get('consume')?.status.code).toBe(2);
      expect(carried).toBe(
        `00-0af7651916cd43dd8448eb211c80319c-${byName.get('inner')?.spanContext().spanId}-01`,
      );
    } finally {
      await tracing.shutdown();
    }
    expect(tracingEnabled()).toBe(false);
  });

  it('puts the active trace id on log lines', async () => {
    const tracing = startTracing(
      'test',
      {},
      { spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] },
    );
    const lines: string[] = [];
    const logger = pino(
      { mixin: traceLogFields },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    try {
      const traceparent = await inSpan('work', {}, async () => {
        logger.info('inside');
        return traceparentOf();
      });
      logger.info('outside');
      const [inside, outside] = lines.map((line) => JSON.parse(line));
      expect(`00-${inside.trace_id}-${inside.span_id}-01`).toBe(traceparent);
      expect(outside.trace_id).toBeUndefined();
    } finally {
      await tracing.shutdown();
    }
  });

  it('exports to <endpoint>/v1/traces', () => {
    expect(tracesUrl('http://127.0.0.1:4318')).toBe('http://127.0.0.1:4318/v1/traces');
    expect(tracesUrl('http://collector:4318/')).toBe('http://collector:4318/v1/traces');
  });
});
