import { parsePrometheusText, sumSamples } from './parsePrometheusText.js';

const exposition = `# HELP dispatcher_duplicates_dropped_total Duplicates dropped
# TYPE dispatcher_duplicates_dropped_total counter
dispatcher_duplicates_dropped_total{where="inbox",service="dispatcher"} 7
dispatcher_duplicates_dropped_total{where="batch",service="dispatcher"} 2
exactly_idempotency_replays_total{route="/v1/messages"} 3
exactly_idempotency_replays_total{route="/v1/messages/batch"} 1 1712345678000
weird_label{path="a \\"quoted\\", comma\\\\",x="y"} 1.5e3
gauge_inf +Inf
not a sample line
`;

describe('reading a Prometheus text exposition', () => {
  it('reads names, labels (with escapes) and values, and skips comments and garbage', () => {
    const samples = parsePrometheusText(exposition);
    expect(samples).toContainEqual({
      name: 'weird_label',
      labels: { path: 'a "quoted", comma\\', x: 'y' },
      value: 1500,
    });
    expect(samples).toContainEqual({ name: 'gauge_inf', labels: {}, value: Number.POSITIVE_INFINITY });
    expect(samples).toHaveLength(6);
  });

  it('sums a counter over its label values, or over those matching a filter', () => {
    const samples = parsePrometheusText(exposition);
    expect(sumSamples(samples, 'exactly_idempotency_replays_total')).toBe(4);
    expect(sumSamples(samples, 'dispatcher_duplicates_dropped_total', { where: 'inbox' })).toBe(7);
    expect(sumSamples(samples, 'absent_total')).toBe(0);
  });
});
