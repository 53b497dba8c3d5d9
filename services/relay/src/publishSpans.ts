import {
  failSpan,
  type Span,
  SpanKind,
  startSpan,
  traceparentOf,
  tracingEnabled,
} from '@exactly/observability';
import type { Message } from 'kafkajs';

export interface PublishSpans<T> {
  /** The records to send: each traced one carries its publish span's `traceparent`. */
  chunk: readonly T[];
  /** Ends the spans, as failed when the send failed. */
  end(error?: unknown): void;
}

/**
 * With tracing on, one producer span per record whose row stored a `traceparent` (a child of the
 * span that wrote the row), and the record sent carries the publish span's context in its
 * `traceparent` header instead; the row keeps its own. With tracing off, the chunk as it is.
 */
export function startPublishSpans<T extends { topic: string; message: Message }>(
  chunk: readonly T[],
): PublishSpans<T> {
  if (!tracingEnabled()) return { chunk, end: () => {} };
  const spans: Span[] = [];
  const traced = chunk.map((item) => {
    const headers = item.message.headers as Record<string, string> | undefined;
    if (headers?.traceparent === undefined) return item;
    const span = startSpan(`publish ${item.topic}`, {
      kind: SpanKind.PRODUCER,
      parent: headers.traceparent,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.destination.name': item.topic,
      },
    });
    spans.push(span);
    const traceparent = traceparentOf(span) ?? headers.traceparent;
    return { ...item, message: { ...item.message, headers: { ...headers, traceparent } } };
  });
  return {
    chunk: traced,
    end(error) {
      for (const span of spans) {
        if (error !== undefined) failSpan(span, error);
        span.end();
      }
    },
  };
}
