/**
 * Where metrics are read: a service's URL (its ops listener, `/metrics` added unless given) or
 * anything with prom-client's `metrics()`: a Registry, or a snapshot `{ metrics: () => text }`.
 */
export type MetricsSource = string | { metrics(): string | Promise<string> };

/**
 * The sum of a metric's series whose labels include `labels` (0 when there is none), read from
 * the Prometheus text format, so an in-process registry and a process's /metrics read alike.
 */
export async function metricValue(
  source: MetricsSource,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = typeof source === 'string' ? await scrape(source) : await source.metrics();
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const series = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1], label[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => series[key] === value)) sum += Number(match[3]);
  }
  return sum;
}

async function scrape(url: string): Promise<string> {
  const metricsUrl = url.endsWith('/metrics') ? url : `${url.replace(/\/$/, '')}/metrics`;
  return (await fetch(metricsUrl)).text();
}
