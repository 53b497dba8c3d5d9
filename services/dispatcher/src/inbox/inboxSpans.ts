import { recordHeaders } from '@exactly/contracts';
import {
  failSpan,
  type Span,
  SpanKind,
  startSpan,
  traceparentOf,
  tracingEnabled,
} from '@exactly/observability';
import type { DecodedRecord, ReceivedRecord } from './decodeRecord.js';

export interface InboxSpans {
  /** Ends the spans, as failed when the batch's transaction failed. */
  end(error?: unknown): void;
}

// The inbox span of each record in a batch in progress, for the `traceparent` its events and effect carry on.
const traceparents = new WeakMap<ReceivedRecord, string>();

/**
 * With tracing on, one consumer span per record that carries a `traceparent` (a child of the
 * relay's publish span), covering the partition batch's transaction. With tracing off, nothing.
 */
export function startInboxSpans(
  records: readonly DecodedRecord[],
  context: { topic: string; partition: number; groupId: string },
): InboxSpans {
  if (!tracingEnabled()) return { end: () => {} };
  const spans: Span[] = [];
  for (const { record } of records) {
    const parent = record.headers[recordHeaders.traceparent];
    if (parent === undefined) continue;
    const span = startSpan('inbox transaction', {
      kind: SpanKind.CONSUMER,
      parent,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': context.topic,
        'messaging.destination.partition.id': String(context.partition),
        'messaging.kafka.offset': Number(record.offset),
        'messaging.consumer.group.name': context.groupId,
      },
    });
    spans.push(span);
    const traceparent = traceparentOf(span);
    if (traceparent !== undefined) traceparents.set(record, traceparent);
  }
  return {
    end(error) {
      for (const span of spans) {
        if (error !== undefined) failSpan(span, error);
        span.end();
      }
    },
  };
}

/** The `traceparent` of the record's inbox span while its batch runs with tracing on. */
export function inboxTraceparent(record: ReceivedRecord): string | undefined {
  return traceparents.get(record);
}
