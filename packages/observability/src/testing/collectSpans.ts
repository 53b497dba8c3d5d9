import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startTracing } from '../startTracing.js';

export interface CollectedSpans {
  /** The spans ended so far. */
  spans(): ReadableSpan[];
  /** Stops tracing in this process. */
  stop(): Promise<void>;
}

/** Starts tracing in this process, keeping every ended span in memory (for tests). */
export function collectSpans(serviceName = 'test'): CollectedSpans {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing(serviceName, {}, { spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { spans: () => exporter.getFinishedSpans(), stop: () => tracing.shutdown() };
}
