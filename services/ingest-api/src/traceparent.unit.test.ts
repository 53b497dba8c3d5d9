import { traceparentFor } from './traceparent.js';

describe('the traceparent of the work a request starts', () => {
  it("continues the caller's trace with a span of its own", () => {
    const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const outgoing = traceparentFor(incoming);
    expect(outgoing).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(outgoing).not.toBe(incoming);
  });

  it('starts a new trace without a valid one', () => {
    for (const incoming of [
      undefined,
      'garbage',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
    ]) {
      expect(traceparentFor(incoming)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
  });
});

describe('the ids it draws', () => {
  it('are new for every request, across refills of its random pool', () => {
    // 4 KiB of pool holds 170 requests' ids (24 bytes each): 1,000 requests refill it 5 times.
    const ids = Array.from({ length: 1000 }, () => traceparentFor(undefined));
    const traceIds = new Set(ids.map((id) => id.slice(3, 35)));
    const spanIds = new Set(ids.map((id) => id.slice(36, 52)));
    expect(traceIds.size).toBe(1000);
    expect(spanIds.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});
