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
