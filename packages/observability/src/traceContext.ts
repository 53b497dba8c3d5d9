import {
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

// Explicit, not the global propagator: the traceparent travels in outbox rows and Kafka headers
// under our own header name, whatever a host application registers.
const propagator = new W3CTraceContextPropagator();

/** The W3C `traceparent` of a span, or of a context's span (the active one by default); undefined without a span. */
export function traceparentOf(of: Span | Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  const carried = 'spanContext' in of ? trace.setSpan(ROOT_CONTEXT, of) : of;
  propagator.inject(carried, carrier, defaultTextMapSetter);
  return carrier.traceparent;
}

/** A context whose remote parent is the span a `traceparent` names (the root context when it names none). */
export function contextOfTraceparent(traceparent: string | undefined): Context {
  if (traceparent === undefined) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
}

/** The trace and span ids of the active span, for log lines; empty without one. */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
