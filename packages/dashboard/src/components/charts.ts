import uPlot, { type Options, type Series } from 'uplot';

/** Colours of the series, the same in every chart and tile. */
export const colours: Record<string, string> = {
  accepted: '#2563eb',
  replayed: '#7c3aed',
  sent: '#16a34a',
  failed: '#dc2626',
  deadLettered: '#d97706',
  idempotencyReplays: '#7c3aed',
  inboxDuplicates: '#0891b2',
  batchDuplicates: '#64748b',
  relayRepublished: '#db2777',
  lag: '#0f766e',
  outboxBacklog: '#b45309',
};

export const labels: Record<string, string> = {
  accepted: 'accepted',
  replayed: 'replayed (API)',
  sent: 'sent',
  failed: 'failed',
  deadLettered: 'dead-lettered',
  idempotencyReplays: 'idempotency replays',
  inboxDuplicates: 'inbox duplicates',
  batchDuplicates: 'in-batch duplicates',
  relayRepublished: 'relay re-publishes',
  lag: 'consumer lag',
  outboxBacklog: 'outbox backlog',
};

const line = (key: string, unit: string): Series => ({
  label: labels[key] ?? key,
  stroke: colours[key] ?? '#334155',
  width: 2,
  points: { show: false },
  spanGaps: false,
  value: (_plot, value) => (value === null || value === undefined ? '–' : `${formatValue(value)} ${unit}`),
});

function formatValue(value: number): string {
  return value < 10 && value !== Math.round(value)
    ? value.toFixed(2)
    : Math.round(value).toLocaleString('en-US');
}

/** Lines over time (x in seconds since the epoch), one per key. */
export function timeSeriesOptions(keys: readonly string[], unit: string): Omit<Options, 'width' | 'height'> {
  return {
    series: [{}, ...keys.map((key) => line(key, unit))],
    scales: { x: { time: true }, y: { range: (_plot, _min, max) => [0, Math.max(1, max) * 1.1] } },
    axes: [{}, { label: unit, size: 56 }],
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  };
}

/** Bars, one per partition (x is the partition number). */
export function partitionBarsOptions(): Omit<Options, 'width' | 'height'> {
  return {
    series: [
      { label: 'partition', value: (_plot, value) => (value === null ? '–' : String(value)) },
      {
        label: 'lag',
        stroke: colours.lag,
        fill: `${colours.lag}99`,
        width: 1,
        paths: uPlot.paths.bars?.({ size: [0.7, 64] }),
        points: { show: false },
      },
    ],
    scales: {
      x: { time: false, range: (_plot, min, max) => [min - 0.5, max + 0.5] },
      y: { range: (_plot, _min, max) => [0, Math.max(1, max) * 1.1] },
    },
    axes: [
      {
        label: 'partition',
        incrs: [1, 2, 5, 10],
        values: (_plot, ticks) => ticks.map((tick) => String(tick)),
      },
      { label: 'records', size: 56 },
    ],
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  };
}
