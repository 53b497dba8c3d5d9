import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { setTracingEnabled, tracingEnabled } from './tracingEnabled.js';

/** The OTEL_* settings of a service's configuration (`otelSettings` in @exactly/config). */
export interface TracingConfig {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_SERVICE_NAME?: string | undefined;
}

export interface TracingOptions {
  /** More span processors (tests collect spans with an in-memory exporter; the bench traces with none). */
  spanProcessors?: SpanProcessor[];
}

export interface Tracing {
  readonly enabled: boolean;
  /** Exports what is buffered and unregisters the provider. */
  shutdown(): Promise<void>;
}

const off: Tracing = { enabled: false, shutdown: async () => {} };

/**
 * Traces this process: a tracer provider with the W3C propagator and an AsyncLocalStorage context
 * manager, exporting over OTLP/HTTP (JSON) in batches when OTEL_EXPORTER_OTLP_ENDPOINT is set.
 * Without an endpoint or span processors, nothing is registered: every span the services would
 * start is skipped (see `tracingEnabled`).
 */
export function startTracing(
  serviceName: string,
  config: TracingConfig,
  options: TracingOptions = {},
): Tracing {
  const spanProcessors = [...(options.spanProcessors ?? [])];
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint !== undefined) {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(endpoint) })));
  }
  if (spanProcessors.length === 0) return off;
  if (tracingEnabled()) throw new TypeError('tracing is started already in this process');
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME ?? serviceName }),
    spanProcessors,
  });
  provider.register();
  setTracingEnabled(true);
  return {
    enabled: true,
    async shutdown() {
      setTracingEnabled(false);
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** The traces endpoint under the OTLP base endpoint, as the OpenTelemetry specification builds it. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}
