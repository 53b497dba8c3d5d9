import { metricValue } from './index.js';

const exposition = `# HELP sends_total Sends.
# TYPE sends_total counter
sends_total{outcome="accepted",channel="sms"} 3
sends_total{outcome="accepted",channel="email"} 4
sends_total{outcome="failed",channel="sms"} 1
sends_total_other 100
backlog 7
`;

describe('metricValue', () => {
  const snapshot = { metrics: () => exposition };

  it('sums the series whose labels include the ones asked for', async () => {
    expect(await metricValue(snapshot, 'sends_total')).toBe(8);
    expect(await metricValue(snapshot, 'sends_total', { outcome: 'accepted' })).toBe(7);
    expect(await metricValue(snapshot, 'sends_total', { outcome: 'accepted', channel: 'sms' })).toBe(3);
  });

  it('reads a series without labels, and 0 for a metric that is not there', async () => {
    expect(await metricValue(snapshot, 'backlog')).toBe(7);
    expect(await metricValue(snapshot, 'missing_total')).toBe(0);
  });

  it('reads what a source answers asynchronously (a prom-client Registry does)', async () => {
    expect(await metricValue({ metrics: async () => exposition }, 'sends_total', { channel: 'sms' })).toBe(4);
  });
});
