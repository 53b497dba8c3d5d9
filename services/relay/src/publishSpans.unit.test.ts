import { type CollectedSpans, collectSpans } from '@exactly/observability/testing';
import { startPublishSpans } from './publishSpans.js';

const stored = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const chunk = () => [
  {
    topic: 'commands',
    message: { key: 'k1', value: 'v1', headers: { traceparent: stored, 'exactly-message-id': 'msg_1' } },
  },
  { topic: 'events', message: { key: 'k2', value: 'v2', headers: { 'exactly-message-id': 'msg_2' } } },
];

describe('publish spans', () => {
  it('with tracing off, send the records as they are', () => {
    const records = chunk();
    expect(startPublishSpans(records).chunk).toBe(records);
  });

  describe('with tracing on', () => {
    let collected: CollectedSpans;
    beforeEach(() => {
      collected = collectSpans();
    });
    afterEach(() => collected.stop());

    it('send each traced record with its publish span as traceparent, and leave the rows alone', () => {
      const records = chunk();
      const spans = startPublishSpans(records);
      spans.end();
      const [publish, ...others] = collected.spans();
      expect(others).toEqual([]);
      expect(publish?.name).toBe('publish commands');
      expect(publish?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      expect(spans.chunk[0]?.message.headers).toEqual({
        traceparent: `00-0af7651916cd43dd8448eb211c80319c-${publish?.spanContext().spanId}-01`,
        'exactly-message-id': 'msg_1',
      });
      // The row's stored headers still name the span that wrote it: a retry publishes from them again.
      expect(records[0]?.message.headers.traceparent).toBe(stored);
      // A record without a trace starts none.
      expect(spans.chunk[1]).toBe(records[1]);
    });

    it('mark the spans failed when the send failed', () => {
      startPublishSpans(chunk()).end(new Error('broker down'));
      expect(collected.spans()[0]?.status.code).toBe(2);
    });
  });
});
