// A minimal SVG chart emitter: line charts (linear or log x) and grouped bar charts, enough for
// the benchmark report. Written here rather than taken from a charting library because the ones
// that render SVG outside a browser (vega, d3 with jsdom) weigh tens of packages for two plots.

export interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
  /** Horizontal reference lines (a target, a ceiling). */
  marks?: { y: number; label: string }[];
  yMin?: number;
}

export interface BarChartOptions {
  title: string;
  yLabel: string;
  categories: string[];
  groups: { name: string; values: number[] }[];
  marks?: { y: number; label: string }[];
}

const width = 720;
const height = 400;
const margin = { top: 40, right: 180, bottom: 50, left: 70 };
const plotWidth = width - margin.left - margin.right;
const plotHeight = height - margin.top - margin.bottom;
const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** About `count` round tick values covering [min, max]. */
function ticks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const step0 = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

function format(value: number): string {
  if (Math.abs(value) >= 10_000) return `${Math.round(value / 1_000)}k`;
  if (Math.abs(value) >= 1_000) return `${(value / 1_000).toFixed(1).replace(/\.0$/, '')}k`;
  return String(Number(value.toPrecision(3)));
}

function frame(title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function legend(names: string[], dashed: boolean[] = []): string[] {
  return names.flatMap((name, i) => {
    const y = margin.top + 10 + i * 20;
    const x = margin.left + plotWidth + 15;
    return [
      `<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${palette[i % palette.length]}" stroke-width="3"${dashed[i] ? ' stroke-dasharray="6 3"' : ''}/>`,
      `<text x="${x + 28}" y="${y + 4}">${escapeXml(name)}</text>`,
    ];
  });
}

function yAxis(yMax: number, yMin: number, label: string, y: (v: number) => number): string[] {
  return [
    ...ticks(yMin, yMax).flatMap((t) => [
      `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 6}" y="${y(t) + 4}" text-anchor="end">${format(t)}</text>`,
    ]),
    `<text transform="translate(16 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(label)}</text>`,
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="black"/>`,
    `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${margin.top + plotHeight}" y2="${margin.top + plotHeight}" stroke="black"/>`,
  ];
}

function markLines(marks: { y: number; label: string }[], y: (v: number) => number): string[] {
  return marks.flatMap((mark) => [
    `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${y(mark.y)}" y2="${y(mark.y)}" stroke="#555" stroke-dasharray="2 3"/>`,
    `<text x="${margin.left + plotWidth - 4}" y="${y(mark.y) - 4}" text-anchor="end" fill="#555">${escapeXml(mark.label)}</text>`,
  ]);
}

export function lineChart(options: LineChartOptions): string {
  const all = options.series
    .flatMap((s) => s.points)
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const tx = (x: number) => (options.logX ? Math.log10(Math.max(x, 1e-3)) : x);
  const xs = all.map(([x]) => tx(x));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs, xMin + 1e-9);
  const yMin = options.yMin ?? 0;
  const yMax = Math.max(...all.map(([, y]) => y), ...(options.marks ?? []).map((m) => m.y), yMin + 1) * 1.05;
  const x = (v: number) => margin.left + ((tx(v) - xMin) / (xMax - xMin)) * plotWidth;
  const y = (v: number) => margin.top + plotHeight - ((v - yMin) / (yMax - yMin)) * plotHeight;
  const xTicks = options.logX
    ? ticks(Math.floor(xMin), Math.ceil(xMax), Math.ceil(xMax) - Math.floor(xMin))
        .flatMap((p) => [1, 2, 5].map((m) => m * 10 ** p))
        .filter((v) => tx(v) >= xMin && tx(v) <= xMax)
    : ticks(xMin, xMax);
  const body = [
    ...yAxis(yMax, yMin, options.yLabel, y),
    ...xTicks.flatMap((t) => [
      `<line x1="${x(t)}" x2="${x(t)}" y1="${margin.top + plotHeight}" y2="${margin.top + plotHeight + 5}" stroke="black"/>`,
      `<text x="${x(t)}" y="${margin.top + plotHeight + 18}" text-anchor="middle">${format(t)}</text>`,
    ]),
    `<text x="${margin.left + plotWidth / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    ...markLines(options.marks ?? [], y),
    ...options.series.flatMap((s, i) => {
      const points = s.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
      if (points.length === 0) return [];
      const color = palette[i % palette.length];
      const path = points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
      return [
        `<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 3"' : ''} points="${path}"/>`,
        ...(points.length <= 12
          ? points.map(
              ([px, py]) =>
                `<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="3" fill="${color}"/>`,
            )
          : []),
      ];
    }),
    ...legend(
      options.series.map((s) => s.name),
      options.series.map((s) => s.dashed ?? false),
    ),
  ];
  return frame(options.title, body);
}

export function barChart(options: BarChartOptions): string {
  const values = options.groups.flatMap((g) => g.values).filter(Number.isFinite);
  const yMax = Math.max(...values, ...(options.marks ?? []).map((m) => m.y), 1) * 1.1;
  const y = (v: number) => margin.top + plotHeight - (v / yMax) * plotHeight;
  const slot = plotWidth / options.categories.length;
  const barWidth = (slot * 0.8) / Math.max(1, options.groups.length);
  const body = [
    ...yAxis(yMax, 0, options.yLabel, y),
    ...options.categories.map(
      (name, c) =>
        `<text x="${margin.left + slot * c + slot / 2}" y="${margin.top + plotHeight + 18}" text-anchor="middle">${escapeXml(name)}</text>`,
    ),
    ...options.groups.flatMap((group, g) =>
      group.values.flatMap((value, c) => {
        if (!Number.isFinite(value)) return [];
        const left = margin.left + slot * c + slot * 0.1 + barWidth * g;
        return [
          `<rect x="${left.toFixed(1)}" y="${y(value).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(margin.top + plotHeight - y(value)).toFixed(1)}" fill="${palette[g % palette.length]}"/>`,
          `<text x="${(left + barWidth / 2).toFixed(1)}" y="${(y(value) - 3).toFixed(1)}" text-anchor="middle" font-size="10">${format(value)}</text>`,
        ];
      }),
    ),
    ...markLines(options.marks ?? [], y),
    ...legend(options.groups.map((g) => g.name)),
  ];
  return frame(options.title, body);
}
