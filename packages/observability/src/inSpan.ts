import { errorMessage } from '@exactly/errors';
import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Span,
  type SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { contextOfTraceparent } from './traceContext.js';
import { tracingEnabled } from './tracingEnabled.js';

export interface InSpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent: a span, a context, or the `traceparent` a record or row carried (default: the active context). */
  parent?: Span | Context | string | undefined;
}

/** The tracer of the project's own spans. */
export const tracer = () => trace.getTracer('exactly');

const nonRecording = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Runs `work` in a new span (active inside it), ended when `work` settles; a throw marks it as an
 * error and is rethrown. With tracing off, `work` runs as it is, given a span that records nothing.
 * The call site for an outgoing call other code adds later (a webhook delivery, say):
 * `inSpan('webhook delivery', { kind: SpanKind.CLIENT, parent: row.traceparent }, () => post(...))`,
 * sending `traceparentOf()` in its request's `traceparent` header.
 */
export async function inSpan<T>(
  name: string,
  options: InSpanOptions,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return work(nonRecording);
  const span = startSpan(name, options);
  return context.with(trace.setSpan(context.active(), span), async () => {
    try {
      return await work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Marks a span as failed by `error` (recorded as an exception event). */
export function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: errorMessage(error),
  });
}

/**
 * Starts a span that the caller ends (one per record of a batch, say); only call it with tracing on.
 * `parent` as in `inSpan`.
 */
export function startSpan(name: string, options: InSpanOptions): Span {
  return tracer().startSpan(
    name,
    {
      ...(options.kind === undefined ? {} : { kind: options.kind }),
      ...(options.attributes === undefined ? {} : { attributes: options.attributes }),
    },
    parentContext(options.parent),
  );
}

function parentContext(parent: InSpanOptions['parent']): Context {
  if (parent === undefined) return context.active();
  if (typeof parent === 'string') return contextOfTraceparent(parent);
  if ('spanContext' in parent) return trace.setSpan(context.active(), parent);
  return parent;
}
