import type {
  BucketSeries,
  ConsumerLagView,
  DashboardSnapshot,
  DeadLettersView,
  DuplicateSeries,
  GaugeSeries,
  HeldView,
  OutboxView,
  ScheduledView,
  SourceStatus,
  ThroughputSeries,
} from '@exactly/dashboard';
import { errorMessage } from '@exactly/errors';
import type { Logger } from '@exactly/observability';
import {
  type BucketCounts,
  type CountedTable,
  countDeadLetters,
  countedDeadLetters,
  countedMessageEvents,
  listDeadLetters,
  listHeldMessages,
  listScheduledSends,
  mergeCounts,
  readOutboxStats,
} from '@exactly/operations';
import { type Orm, runSql } from '@exactly/persistence';
import type { Admin } from 'kafkajs';
import type { Registry } from 'prom-client';
import { createCounterScraper, type ScrapedCounter } from './createCounterScraper.js';
import { createTableCounter, type TableCounter } from './createTableCounter.js';
import { readConsumerLag } from './readConsumerLag.js';
import { readOnly } from './readOnly.js';

export interface SamplerSettings {
  windowMs: number;
  bucketMs: number;
  sampleIntervalMs: number;
  settleMs: number;
  queryTimeoutMs: number;
  metricsUrls: readonly string[];
  consumerGroup: string;
  commandsTopic: string;
  /** Stop sampling this long after the last viewer left (the next one starts afresh). */
  idleStopMs?: number;
}

export interface DashboardSampler {
  /** The latest snapshot (the first call samples at once). Keeps the sampler running. */
  current(): Promise<DashboardSnapshot>;
  /** Calls `listener` with every new snapshot until the returned function is called. */
  subscribe(listener: (snapshot: DashboardSnapshot) => void): () => void;
  close(): Promise<void>;
}

/** The event store's rows that make the throughput series, by event type. */
const eventTypes: Record<string, ThroughputSeries> = {
  MessageAccepted: 'accepted',
  ProviderAccepted: 'sent',
  MessageFailed: 'failed',
};
const countedTables: CountedTable[] = [countedMessageEvents(eventTypes), countedDeadLetters('deadLettered')];

/** Counters that live only in the processes' memory (this one's registry and the scraped URLs). */
const scrapedCounters = {
  replayed: { name: 'exactly_idempotency_replays_total' },
  inboxDuplicates: { name: 'dispatcher_duplicates_dropped_total', labels: { where: 'inbox' } },
  batchDuplicates: { name: 'dispatcher_duplicates_dropped_total', labels: { where: 'batch' } },
  relayRepublished: { name: 'relay_republished_rows_total' },
} satisfies Record<string, ScrapedCounter>;
type ScrapedKey = keyof typeof scrapedCounters;

const throughputKeys: ThroughputSeries[] = ['accepted', 'replayed', 'sent', 'failed', 'deadLettered'];
const duplicateKeys: DuplicateSeries[] = [
  'idempotencyReplays',
  'inboxDuplicates',
  'batchDuplicates',
  'relayRepublished',
];

interface SamplingState {
  tables: TableCounter[];
  scraper: ReturnType<typeof createCounterScraper<ScrapedKey>>;
  /** Growth of the scraped counters per bucket, from the first scrape on. */
  scraped: Map<number, Record<ScrapedKey, number>>;
  scrapedSince: number | undefined;
  gauges: {
    t: number;
    lag: number | null;
    outboxBacklog: number | null;
    outboxOldestAgeSeconds: number | null;
  }[];
  lag: ConsumerLagView | null;
  /** The lag read in progress, if any (settles when it does, whatever the timeout said). */
  lagRead: Promise<void> | undefined;
}

/**
 * Samples the pipeline for the dashboard every `sampleIntervalMs` while someone watches: counts
 * from the event store and dead letters (PostgreSQL), the outbox, the consumer group's lag (Kafka's
 * admin API when configured), and the counters that only processes hold (scraped). Each part is
 * read on its own with a timeout, so one that fails or hangs leaves the others showing.
 */
export function createDashboardSampler({
  orm,
  registry,
  logger,
  admin,
  settings,
}: {
  orm: Orm;
  registry: Registry;
  logger: Logger;
  /** Kafka's admin client, connected lazily; undefined when KAFKA_BROKERS is not configured. */
  admin: Admin | undefined;
  settings: SamplerSettings;
}): DashboardSampler {
  const { bucketMs, windowMs } = settings;
  const idleStopMs = settings.idleStopMs ?? 60_000;
  const listeners = new Set<(snapshot: DashboardSnapshot) => void>();
  let state: SamplingState | undefined;
  let latest: DashboardSnapshot | undefined;
  let sampling: Promise<DashboardSnapshot> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastWanted = 0;
  let closed = false;
  let adminConnected: Promise<void> | undefined;

  const freshState = (): SamplingState => ({
    tables: countedTables.map((table) => createTableCounter(table, settings)),
    scraper: createCounterScraper({
      counters: scrapedCounters,
      registry,
      urls: settings.metricsUrls,
      timeoutMs: Math.min(settings.queryTimeoutMs, Math.max(500, settings.sampleIntervalMs)),
    }),
    scraped: new Map(),
    scrapedSince: undefined,
    gauges: [],
    lag: null,
    lagRead: undefined,
  });

  const timed = <T>(work: Promise<T>, what: string): Promise<T> =>
    Promise.race([
      work,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`${what} took over ${settings.queryTimeoutMs} ms`)),
          settings.queryTimeoutMs,
        ).unref(),
      ),
    ]);
  const read = <T>(work: (em: Orm['em']) => Promise<T>) => readOnly(orm, settings.queryTimeoutMs, work);
  const failure = (source: string, error: unknown): SourceStatus => ({
    source,
    ok: false,
    error: errorMessage(error),
  });

  async function sample(current: SamplingState): Promise<DashboardSnapshot> {
    const sources: SourceStatus[] = [];
    let nowMs = Date.now();
    let tableCounts: BucketCounts | undefined;
    const scraping = current.scraper.scrape();
    try {
      const counted = await read(async (em) => {
        const { rows } = await runSql<{ now: string }>(em, 'SELECT extract(epoch FROM now()) * 1000 AS now');
        const now = Math.floor(Number(rows[0]?.now ?? Date.now()));
        const from = bucketOf(now) - windowMs + bucketMs;
        const counts: BucketCounts = new Map();
        for (const table of current.tables) mergeCounts(counts, await table.read(em, now, from));
        return { now, counts };
      });
      nowMs = counted.now;
      tableCounts = counted.counts;
      sources.push({ source: 'database', ok: true, lastSuccessAt: new Date(nowMs).toISOString() });
    } catch (error) {
      sources.push(failure('database', error));
    }
    const from = bucketOf(nowMs) - windowMs + bucketMs;

    const scrape = await scraping;
    sources.push(...scrape.sources);
    if (current.scrapedSince === undefined) current.scrapedSince = bucketOf(nowMs);
    else {
      const bucket = bucketOf(nowMs);
      const into = current.scraped.get(bucket) ?? {
        replayed: 0,
        inboxDuplicates: 0,
        batchDuplicates: 0,
        relayRepublished: 0,
      };
      for (const key of Object.keys(scrapedCounters) as ScrapedKey[]) into[key] += scrape.deltas[key];
      current.scraped.set(bucket, into);
    }
    for (const bucket of current.scraped.keys()) if (bucket < from) current.scraped.delete(bucket);

    const [outbox, deadLetters, held, scheduled] = await Promise.all([
      read(async (em) => toOutboxView(await readOutboxStats(em))).catch((error: unknown) => {
        sources.push(failure('database: outbox', error));
        return null;
      }),
      read((em) => readDeadLetters(em)).catch((error: unknown) => {
        sources.push(failure('database: dead letters', error));
        return null;
      }),
      read((em) => readHeld(em)).catch((error: unknown) => {
        sources.push(failure('database: held messages', error));
        return null;
      }),
      read((em) => readScheduled(em)).catch((error: unknown) => {
        sources.push(failure('database: scheduled sends', error));
        return null;
      }),
      readLag(current, sources),
    ]);

    current.gauges.push({
      t: nowMs,
      lag: current.lag?.total ?? null,
      outboxBacklog: outbox?.rows ?? null,
      outboxOldestAgeSeconds: outbox === null ? null : outbox.oldestAgeMs / 1000,
    });
    while ((current.gauges[0]?.t ?? nowMs) < from) current.gauges.shift();

    const buckets: number[] = [];
    for (let bucket = from; bucket <= bucketOf(nowMs); bucket += bucketMs) buckets.push(bucket);
    const scrapedAt = (bucket: number, key: ScrapedKey) =>
      current.scrapedSince === undefined || bucket < current.scrapedSince
        ? null
        : (current.scraped.get(bucket)?.[key] ?? 0);
    const tableAt = (bucket: number, series: ThroughputSeries) =>
      tableCounts === undefined ? null : (tableCounts.get(bucket)?.get(series) ?? 0);

    return {
      at: new Date(nowMs).toISOString(),
      bucketMs,
      windowMs,
      throughput: series(buckets, throughputKeys, (bucket, key) =>
        key === 'replayed' ? scrapedAt(bucket, 'replayed') : tableAt(bucket, key),
      ),
      duplicates: series(buckets, duplicateKeys, (bucket, key) =>
        scrapedAt(bucket, key === 'idempotencyReplays' ? 'replayed' : key),
      ),
      countedSince:
        current.scrapedSince === undefined
          ? null
          : new Date(Math.max(from, current.scrapedSince)).toISOString(),
      gauges: {
        t: current.gauges.map((gauge) => gauge.t),
        lag: current.gauges.map((gauge) => gauge.lag),
        outboxBacklog: current.gauges.map((gauge) => gauge.outboxBacklog),
        outboxOldestAgeSeconds: current.gauges.map((gauge) => gauge.outboxOldestAgeSeconds),
      } satisfies GaugeSeries,
      lag: current.lag,
      outbox,
      deadLetters,
      held,
      sources,
      scheduled,
    };
  }

  async function readLag(current: SamplingState, sources: SourceStatus[]): Promise<void> {
    const source = admin ? 'kafka' : 'database: offsets';
    if (current.lagRead !== undefined) {
      // A read that outlived its timeout (Kafka unreachable, say) is not started again beside it.
      sources.push({ source, ok: false, error: 'the previous read has not finished' });
      return;
    }
    const work = (async () => {
      if (admin !== undefined) {
        adminConnected ??= admin.connect().catch((error: unknown) => {
          adminConnected = undefined;
          throw error;
        });
        await adminConnected;
      }
      // Not in a transaction: Kafka's round trips must not hold a database snapshot open.
      return readConsumerLag(
        { em: orm.em.fork(), admin },
        { group: settings.consumerGroup, topic: settings.commandsTopic },
      );
    })();
    current.lagRead = work.then(
      () => undefined,
      () => undefined,
    );
    void current.lagRead.then(() => {
      current.lagRead = undefined;
    });
    try {
      current.lag = await timed(work, 'reading the consumer lag');
      sources.push({ source, ok: true });
    } catch (error) {
      current.lag = null;
      sources.push(failure(source, error));
    }
  }

  function bucketOf(ms: number): number {
    return Math.floor(ms / bucketMs) * bucketMs;
  }

  function sampleNow(): Promise<DashboardSnapshot> {
    if (sampling) return sampling;
    state ??= freshState();
    const current = state;
    sampling = sample(current)
      .then((snapshot) => {
        latest = snapshot;
        for (const listener of listeners) listener(snapshot);
        return snapshot;
      })
      .finally(() => {
        sampling = undefined;
      });
    return sampling;
  }

  function schedule(): void {
    if (timer !== undefined || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (listeners.size === 0 && Date.now() - lastWanted > idleStopMs) {
        // Nobody watches: stop, and start afresh (with a new backfill) for the next viewer.
        state = undefined;
        latest = undefined;
        return;
      }
      sampleNow()
        .catch((error: unknown) => logger.warn({ err: error }, 'dashboard sample failed'))
        .finally(schedule);
    }, settings.sampleIntervalMs);
    timer.unref();
  }

  return {
    async current() {
      lastWanted = Date.now();
      const snapshot = latest ?? (await sampleNow());
      schedule();
      return snapshot;
    },
    subscribe(listener) {
      listeners.add(listener);
      lastWanted = Date.now();
      schedule();
      return () => {
        listeners.delete(listener);
        lastWanted = Date.now();
      };
    },
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      listeners.clear();
      await sampling?.catch(() => undefined);
      if (adminConnected !== undefined) await admin?.disconnect().catch(() => undefined);
    },
  };
}

function series<K extends string>(
  buckets: number[],
  keys: readonly K[],
  value: (bucket: number, key: K) => number | null,
): BucketSeries<K> {
  const counts = Object.fromEntries(
    keys.map((key) => [key, buckets.map((bucket) => value(bucket, key))]),
  ) as Record<K, (number | null)[]>;
  const totals = Object.fromEntries(
    keys.map((key) => [key, counts[key].reduce<number>((sum, count) => sum + (count ?? 0), 0)]),
  ) as Record<K, number>;
  return { t: buckets, counts, totals };
}

function toOutboxView(stats: Awaited<ReturnType<typeof readOutboxStats>>): OutboxView {
  return {
    rows: stats.backlog.rows,
    oldestCreatedAt: stats.backlog.oldestCreatedAt,
    oldestAgeMs: stats.backlog.oldestAgeMs,
    topics: stats.topics.map((topic) => ({
      topic: topic.topic,
      rows: topic.rows,
      oldestAgeMs: topic.oldestAgeMs,
    })),
    setAside: stats.setAside.rows,
    relays: stats.relays,
  };
}

async function readHeld(em: Orm['em']): Promise<HeldView> {
  const { count, messages } = await listHeldMessages(em, { limit: 20 });
  return {
    count,
    latest: messages.map(({ messageId, accountId, channel, provider, attempt, reason, heldAt }) => ({
      messageId,
      accountId,
      channel,
      provider,
      attempt,
      reason,
      heldAt,
    })),
  };
}

async function readScheduled(em: Orm['em']): Promise<ScheduledView> {
  return listScheduledSends(em, { limit: 20 });
}

async function readDeadLetters(em: Orm['em']): Promise<DeadLettersView> {
  const [latest, { total, pending, capped }] = await Promise.all([
    listDeadLetters(em, { limit: 20 }),
    countDeadLetters(em),
  ]);
  return { total, pending, capped, latest };
}
