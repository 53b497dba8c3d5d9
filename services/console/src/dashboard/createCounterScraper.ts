import { errorMessage } from '@exactly/errors';
import type { Registry } from 'prom-client';
import { type PrometheusSample, parsePrometheusText, sumSamples } from './parsePrometheusText.js';

/** A counter of another process (or this one), summed over its label values. */
export interface ScrapedCounter {
  name: string;
  labels?: Record<string, string>;
}

export interface ScrapeSourceStatus {
  /** The URL scraped, or `this process` for this process's own registry. */
  source: string;
  ok: boolean;
  error?: string;
  /** When it last answered (ISO time), if ever. */
  lastSuccessAt?: string;
}

export interface CounterScraper<K extends string> {
  /** How much each counter grew since the previous scrape, summed over the sources. */
  scrape(): Promise<{ deltas: Record<K, number>; sources: ScrapeSourceStatus[] }>;
}

/**
 * Reads counters that live only in processes' memory: this process's own registry and the
 * `/metrics` of the configured URLs. Each scrape returns the growth since the previous one per
 * source (the first scrape of a source is its baseline; a counter that went down restarted with
 * its process, so its whole value is growth).
 */
export function createCounterScraper<K extends string>({
  counters,
  registry,
  urls,
  timeoutMs,
  fetchText = defaultFetchText,
  now = () => new Date(),
}: {
  counters: Record<K, ScrapedCounter>;
  registry: Registry;
  urls: readonly string[];
  timeoutMs: number;
  fetchText?: (url: string, timeoutMs: number) => Promise<string>;
  now?: () => Date;
}): CounterScraper<K> {
  const keys = Object.keys(counters) as K[];
  const previous = new Map<string, Record<K, number>>();
  const lastSuccess = new Map<string, string>();
  const read = async (source: string): Promise<PrometheusSample[]> =>
    parsePrometheusText(
      source === 'this process' ? await registry.metrics() : await fetchText(source, timeoutMs),
    );

  return {
    async scrape() {
      const deltas = Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
      const sources = await Promise.all(
        ['this process', ...urls].map(async (source): Promise<ScrapeSourceStatus> => {
          let samples: PrometheusSample[];
          try {
            samples = await read(source);
          } catch (error) {
            const lastSuccessAt = lastSuccess.get(source);
            return {
              source,
              ok: false,
              error: errorMessage(error),
              ...(lastSuccessAt === undefined ? {} : { lastSuccessAt }),
            };
          }
          const current = Object.fromEntries(
            keys.map((key) => [key, sumSamples(samples, counters[key].name, counters[key].labels)]),
          ) as Record<K, number>;
          const before = previous.get(source);
          if (before !== undefined) {
            for (const key of keys) {
              deltas[key] += current[key] >= before[key] ? current[key] - before[key] : current[key];
            }
          }
          previous.set(source, current);
          const at = now().toISOString();
          lastSuccess.set(source, at);
          return { source, ok: true, lastSuccessAt: at };
        }),
      );
      return { deltas, sources };
    },
  };
}

async function defaultFetchText(url: string, timeoutMs: number): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.text();
}
