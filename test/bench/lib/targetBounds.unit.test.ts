import type { DispatcherBenchResult } from '../dispatcher.ts';
import type { EndToEndResult } from '../endToEnd.ts';
import type { IngestBenchResult } from '../ingest.ts';
import type { RelayBenchResult } from '../relay.ts';
import type { CpuPerUnit } from './processes.ts';
import { cpuMsPer } from './processes.ts';
import { round } from './stats.ts';
import {
  cpuBoundRatio,
  cpuBudget,
  cpuCeiling,
  cpuText,
  ingestFloor,
  limitOf,
  pipelineFloor,
  targetBounds,
} from './targetBounds.ts';

const cpu = (parts: Record<string, number>): CpuPerUnit => {
  const total = Object.entries(parts)
    .filter(([program]) => program !== 'other')
    .reduce((sum, [, ms]) => sum + ms, 0);
  return { ...parts, total } as CpuPerUnit;
};
const spreadOf = (median: number) => ({ median, min: median, max: median, rounds: [median] });

/** The API at 1,000/s (1.0 ms per command: 1 core busy), replays at 4,000/s, the SQL at 2,000/s. */
const ingestResult = (ingestToCeiling: number, replaysToIngest: number, withCpu = true) =>
  ({
    ingest: { commandsPerSecond: 1_000, meanBatchSize: 10 },
    replays: { perSecond: 4_000 },
    rawSql: { ceilingPerSecond: 2_000, ceiling: { connections: 2 } },
    ratios: { ingestToCeiling: spreadOf(ingestToCeiling), replaysToIngest: spreadOf(replaysToIngest) },
    cpuMsPerCommand: withCpu
      ? {
          api: cpu({ 'ingest-api': 0.4, postgres: 0.3, bench: 0.3 }),
          replays: cpu({ 'ingest-api': 0.24, bench: 0.06 }),
          ceiling: cpu({ postgres: 0.4, bench: 0.1 }),
        }
      : undefined,
  }) as unknown as IngestBenchResult;

describe('what bounds a target on shared cores', () => {
  it('turns CPU per unit into the most the cores allow, and a ratio into the inverse ratio of costs', () => {
    expect(cpuCeiling(2, 2.5)).toBe(800);
    expect(cpuCeiling(2, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(cpuBoundRatio(1, 0.5)).toBe(0.5);
    expect(cpuBudget(2, 2_000)).toBe(1);
  });

  it('sums CPU seconds per unit by program, leaving processes not ours out of the total', () => {
    const perUnit = cpuMsPer({ postgres: 2, 'ingest-api': 1, other: 5 }, 1_000);
    expect(perUnit).toEqual({ postgres: 2, 'ingest-api': 1, other: 5, total: 3 });
    expect(cpuText(perUnit)).toBe('3.00 ms (PostgreSQL 2.00, ingest-api 1.00)');
  });

  it('tells the cores, one event loop and waiting apart', () => {
    const side = (perSecond: number, parts: Record<string, number>) => ({
      label: 'x',
      perSecond,
      cpu: cpu(parts),
    });
    // 2,000/s × (0.8 + 0.2 others') ms = 2 cores.
    expect(limitOf(2, side(2_000, { postgres: 0.8, other: 0.2 })).kind).toBe('cores');
    // The API's thread: 4,000/s × 0.24 ms = 0.96 of a core; 1.2 cores in all.
    expect(limitOf(2, side(4_000, { 'ingest-api': 0.24, bench: 0.06 }))).toMatchObject({
      kind: 'event loop',
      program: 'ingest-api',
    });
    // PostgreSQL is many processes: 1.5 cores of it is not one thread's limit.
    expect(limitOf(2, side(1_000, { postgres: 1.5 })).kind).toBe('waiting');
  });

  it('explains a missed ingest ratio by what held each side back and the time a group took', () => {
    const [row] = targetBounds(2, { ingest: ingestResult(0.45, 6) });
    expect(row?.target).toMatch(/^ingest vs raw SQL/);
    expect(row?.bound).toContain("The API's rounds: 1,000/s at 1.00 ms");
    expect(row?.bound).toContain(
      '1.00 of the 2 cores busy, so neither the cores nor one process were the limit',
    );
    expect(row?.bound).toContain('If both were CPU-bound the ratio would be 0.50× (measured 0.45×)');
    // 2 transactions × groups of 10: 20 ms per group in the API at 1,000/s, 10 ms at 2,000/s.
    expect(row?.bound).toContain("a group's turn took 20.0 ms in the API against 10.0 ms");
    expect(row?.wouldMove).toContain('≤ 11.1 ms');
  });

  it('bounds the ingest ratio by what the cores allow once each command is a POST', () => {
    // The fixture's POST answered from memory 0.3 ms and the ceiling's PostgreSQL 0.4 ms: 2,857/s,
    // 1.43× of the ceiling's 2,000/s, so the 0.9× goal stays a matter of the API's own time.
    const [reachable] = targetBounds(2, { ingest: ingestResult(0.45, 6) });
    expect(reachable?.bound).toContain(
      "A POST answered from memory (a replay, this phase) cost 0.300 ms (the API process and the load generator); with PostgreSQL's 0.400 ms for the grouped writes, the cores allow any API at most 2,857/s, 1.43× of the ceiling",
    );
    expect(reachable?.wouldMove).toMatch(/^0\.9× needs a group's turn/);
    // A replay at 0.6 ms and the ceiling at 0.6 ms of PostgreSQL: 1,667/s at most, 0.83× of 2,000/s.
    const dear = ingestResult(0.45, 6);
    const costs = dear.cpuMsPerCommand as unknown as Record<string, CpuPerUnit>;
    costs.replays = cpu({ 'ingest-api': 0.45, bench: 0.15, postgres: 0.01 });
    costs.ceiling = cpu({ postgres: 0.6, bench: 0.1 });
    const floor = ingestFloor(2, dear);
    expect(floor?.postMs).toBeCloseTo(0.6);
    expect(floor?.perSecond).toBeCloseTo(1_666.67, 1);
    expect(floor?.ratioToCeiling).toBeCloseTo(0.833, 3);
    const [beyond] = targetBounds(2, { ingest: dear });
    expect(beyond?.bound).toContain('the cores allow any API at most 1,667/s, 0.83× of the ceiling');
    expect(beyond?.wouldMove).toMatch(
      /^Out of reach on these 2 cores whatever the API does: 0\.9× of the ceiling is 1,800\/s/,
    );
    expect(ingestFloor(2, ingestResult(0.45, 6, false))).toBeUndefined();
  });

  it('explains a missed replay ratio by the API process serving replays on one thread', () => {
    const rows = targetBounds(2, { ingest: ingestResult(0.95, 4) });
    expect(rows.map((row) => row.target)).toEqual(['replays vs ingest (≥ 5×)']);
    expect(rows[0]?.bound).toContain('its ingest-api process was the limit (0.96 cores for one process');
    expect(rows[0]?.wouldMove).toContain('≤ 0.200 ms of the API process per replay');
  });

  it('leaves out targets that were met and runs that did not measure CPU per command', () => {
    expect(targetBounds(2, { ingest: ingestResult(0.95, 6) })).toEqual([]);
    expect(targetBounds(2, { ingest: ingestResult(0.45, 2, false) })).toEqual([]);
  });

  it('bounds the sustained end-to-end rate by the cores over the CPU of one command', () => {
    const phase = (endToEndPerSecond: number, total: number) => ({
      endToEndPerSecond,
      spread: spreadOf(endToEndPerSecond),
      cpuMsPerCommand: cpu({ postgres: total / 2, dispatcher: total / 2 }),
    });
    const e2e = {
      latency: [],
      wal: { bytesPerCommand: spreadOf(4_000) },
      throughput: { single: phase(780, 2.5), batch: phase(5_000, 0.3) },
    } as unknown as EndToEndResult;
    const rows = targetBounds(2, { e2e });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.bound).toContain('1.95 of the 2 cores busy, so the cores were the limit');
    expect(rows[0]?.bound).toContain('the cores allow at most 800/s');
    expect(rows[0]?.wouldMove).toContain('≤ 1.00 ms per command');
    expect(rows[0]?.wouldMove).toContain('(2.50× less)');
  });

  describe('the floor of the whole pipeline', () => {
    // Grouped SQL 0.5 ms (PostgreSQL and its client; Kafka idle), 4 outbox rows at 0.1 ms through
    // the raw producer (bench and Kafka; the idle relay left out), the dispatcher's SQL 0.2 ms.
    const relay = {
      throughput: {
        runs: [
          {
            relay: 'default, retention 0 (delete)',
            ratioSpread: spreadOf(0.85),
            cpuMsPer1000Rows: { raw: { bench: 90, kafka: 10, relay: 3 }, relay: { relay: 45 } },
          },
        ],
      },
    } as unknown as RelayBenchResult;
    const dispatcher = {
      throughput: {
        postgres: {
          rowWritesPerCommand: { outbox: { inserted: 2, updated: 0, hotUpdated: 0, deleted: 0 } },
        },
        cpuMsPerCommand: { sentFloor: cpu({ postgres: 0.15, bench: 0.05, kafka: 0.01 }) },
      },
    } as unknown as DispatcherBenchResult;
    const ingest = ingestResult(0.95, 6);
    const e2e = (perSecond: number) =>
      ({
        latency: [],
        wal: { bytesPerCommand: spreadOf(4_000) },
        throughput: {
          single: {
            endToEndPerSecond: perSecond,
            spread: spreadOf(perSecond),
            cpuMsPerCommand: cpu({ postgres: 2, dispatcher: 1 }),
          },
        },
      }) as unknown as EndToEndResult;

    it('sums the bare work of each stage, leaving out programs that only idled beside it', () => {
      const floor = pipelineFloor(2, { ingest, relay, dispatcher });
      expect(floor?.parts.map((part) => [part.stage, round(part.ms, 3)])).toEqual([
        ['its POST answered from memory (a replay)', 0.3],
        ['the ingest writes as grouped SQL', 0.5],
        ['its 4 outbox rows through a raw kafkajs producer', 0.4],
        ['everything the dispatcher writes as bare SQL', 0.2],
      ]);
      expect(floor?.msPerCommand).toBeCloseTo(1.4);
      expect(floor?.perSecond).toBeCloseTo(1_428.57, 1);
      expect(pipelineFloor(2, { ingest, relay })).toBeUndefined();
    });

    it('calls a sustained target beyond the floor out of reach, and one under it a matter of cost', () => {
      const [beyond] = targetBounds(2, { ingest, relay, dispatcher, e2e: e2e(600) });
      expect(beyond?.bound).toContain('1.40 ms per command, so at most 1,429/s');
      expect(beyond?.wouldMove).toMatch(/^Out of reach on these 2 cores whatever the services do/);
      const cheap = {
        ...dispatcher,
        throughput: { ...dispatcher.throughput, cpuMsPerCommand: { sentFloor: cpu({ postgres: 0.05 }) } },
      } as unknown as DispatcherBenchResult;
      const fasterRelay = {
        throughput: {
          runs: [
            {
              relay: 'default',
              ratioSpread: spreadOf(0.85),
              cpuMsPer1000Rows: { raw: { bench: 20 }, relay: {} },
            },
          ],
        },
      } as unknown as RelayBenchResult;
      const [within] = targetBounds(2, { ingest, relay: fasterRelay, dispatcher: cheap, e2e: e2e(600) });
      // 0.3 + 0.5 + 0.08 + 0.05 = 0.93 ms: 2,151/s, above the goal.
      expect(within?.bound).toContain('so at most 2,151/s');
      expect(within?.wouldMove).toContain('2,000/s needs ≤ 1.00 ms per command');
      // 1.00 - 0.93 left over the bare work (its POST in it); the round spent 3.00 - 0.93.
      expect(within?.wouldMove).toContain(
        "leaves 0.07 ms per command for JSON, the topic reads, the provider's call",
      );
      expect(within?.wouldMove).toContain('(2.07 ms now)');
    });
    it("bounds the batch endpoint's target by the floor of its own grouped writes", () => {
      const batched = {
        ...ingest,
        cpuMsPerCommand: { ...ingest.cpuMsPerCommand, batchCeiling: cpu({ postgres: 0.08, bench: 0.02 }) },
      } as unknown as IngestBenchResult;
      const floor = pipelineFloor(2, { ingest: batched, relay, dispatcher }, { batch: true });
      expect(floor?.parts.map((part) => [part.stage, round(part.ms, 3)])).toEqual([
        ["the batch endpoint's writes as grouped SQL", 0.1],
        ['its 4 outbox rows through a raw kafkajs producer', 0.4],
        ['everything the dispatcher writes as bare SQL', 0.2],
      ]);
      // A run that did not measure the batch endpoint's ceiling has no floor for it.
      expect(pipelineFloor(2, { ingest, relay, dispatcher }, { batch: true })).toBeUndefined();
      const withBatch = (perSecond: number) =>
        ({
          ...e2e(600),
          throughput: {
            batch: {
              endToEndPerSecond: perSecond,
              spread: spreadOf(perSecond),
              cpuMsPerCommand: cpu({ postgres: 1 }),
            },
          },
        }) as unknown as EndToEndResult;
      // 0.70 ms of bare work: at most 2,857/s, under the 4,000/s goal.
      const [beyond] = targetBounds(2, { ingest: batched, relay, dispatcher, e2e: withBatch(1_500) });
      expect(beyond?.target).toBe('end to end sustained, batch endpoint (≥ 4,000/s)');
      expect(beyond?.bound).toContain('0.70 ms per command, so at most 2,857/s');
      expect(beyond?.wouldMove).toMatch(/^Out of reach on these 2 cores whatever the services do/);
      const [unbounded] = targetBounds(2, { ingest, relay, dispatcher, e2e: withBatch(1_500) });
      expect(unbounded?.bound).not.toContain('The floor of that work');
    });
  });

  it('bounds WAL per command by the row writes it takes, and the dispatcher by its floor', () => {
    const dispatcher = {
      throughput: {
        dispatcherSentExactlyOncePerSecond: 6_000,
        floor: { inboxTransactionPerSecond: 30_000 },
        ratioToFloor: spreadOf(0.2),
        postgres: {
          walBytesPerCommand: 7_000,
          totalRowWritesPerCommand: 10,
          rowWritesPerCommand: {
            effects: { inserted: 1, updated: 2, hotUpdated: 0, deleted: 0 },
            inbox: { inserted: 1, updated: 0, hotUpdated: 0, deleted: 0 },
            outbox: { inserted: 2, updated: 0, hotUpdated: 0, deleted: 0 },
          },
        },
        cpuMsPerCommand: {
          dispatcher: cpu({ postgres: 0.2, dispatcher: 0.1 }),
          floor: cpu({ postgres: 0.05, bench: 0.01 }),
        },
      },
    } as unknown as DispatcherBenchResult;
    const e2e = {
      latency: [],
      wal: { bytesPerCommand: spreadOf(12_000) },
      throughput: {},
    } as unknown as EndToEndResult;
    const [wal, floor] = targetBounds(2, { dispatcher, e2e });
    expect(wal?.bound).toContain('(700 B each');
    expect(wal?.wouldMove).toContain('about 7 row writes per command');
    expect(wal?.wouldMove).toContain('effects 3 (2 of them updates), outbox 2 (0 of them updates)');
    expect(floor?.bound).toContain("The dispatcher's rounds: 6,000/s at 0.30 ms");
    expect(floor?.bound).toContain('1.80 of the 2 cores busy, so the cores were the limit');
    expect(floor?.bound).toContain('If both were CPU-bound the ratio would be 0.20× (measured 0.20×)');
    expect(floor?.wouldMove).toContain('≤ 0.10 ms per command');
  });

  it('says when the rows inserted alone write more WAL than the target, from the WAL read back by kind', () => {
    const dispatcher = {
      throughput: {
        dispatcherSentExactlyOncePerSecond: 6_000,
        floor: { inboxTransactionPerSecond: 30_000 },
        ratioToFloor: spreadOf(0.7),
        postgres: {
          walBytesPerCommand: 7_000,
          totalRowWritesPerCommand: 10,
          rowWritesPerCommand: { effects: { inserted: 1, updated: 2, hotUpdated: 0, deleted: 0 } },
        },
      },
    } as unknown as DispatcherBenchResult;
    const e2eWith = (rowsInserted: number) =>
      ({
        latency: [],
        wal: {
          bytesPerCommand: spreadOf(11_000),
          byKind: {
            rowsInserted,
            rowsUpdated: 1_000,
            rowsDeleted: 300,
            indexEntries: 2_000,
            transactions: 100,
            other: 600,
            total: rowsInserted + 4_000,
            fullPageImages: 12,
          },
        },
        throughput: {},
      }) as unknown as EndToEndResult;
    const [beyond] = targetBounds(2, { dispatcher, e2e: e2eWith(7_000) });
    expect(beyond?.bound).toContain('rows inserted 7,000 B');
    expect(beyond?.bound).toContain('index entries 2,000 B');
    expect(beyond?.bound).toContain("full-page images (a page's first change after a checkpoint) 12 B.");
    expect(beyond?.wouldMove).toContain('Out of reach with the rows the pipeline keeps');
    expect(beyond?.wouldMove).toContain('(4,000 B now)');
    const [within] = targetBounds(2, { dispatcher, e2e: e2eWith(3_000) });
    expect(within?.wouldMove).not.toContain('Out of reach');
    expect(within?.wouldMove).toContain('leaves 2,000 B for everything else (4,000 B now)');
  });

  it('says when bare SQL of all the dispatcher writes cannot reach 0.6× of the floor', () => {
    const dispatcherWithFullFloor = (bareShare: number) =>
      ({
        throughput: {
          dispatcherSentExactlyOncePerSecond: 6_000,
          floor: {
            inboxTransactionPerSecond: 30_000,
            sentExactlyOncePerSecond: 30_000 * bareShare,
            sentExactlyOnceToInboxTransaction: {
              median: bareShare,
              min: bareShare - 0.04,
              max: bareShare + 0.03,
            },
          },
          ratioToFloor: spreadOf(0.2),
          ratioToSentFloor: spreadOf(round(0.2 / bareShare, 3)),
          cpuMsPerCommand: {
            dispatcher: cpu({ postgres: 0.2, dispatcher: 0.1 }),
            floor: cpu({ postgres: 0.05, bench: 0.01 }),
          },
        },
      }) as unknown as DispatcherBenchResult;
    const [outOfReach] = targetBounds(2, { dispatcher: dispatcherWithFullFloor(0.5) });
    expect(outOfReach?.bound).toContain("as bare SQL: 15,000/s, 0.5× (0.46–0.53) of the target's baseline");
    expect(outOfReach?.bound).toContain('beyond PostgreSQL alone on this machine');
    expect(outOfReach?.bound).toContain('the dispatcher is 0.4× (0.4–0.4) of that full floor');
    expect(outOfReach?.wouldMove).toContain('the target as set is out of reach here');
    const [reachable] = targetBounds(2, { dispatcher: dispatcherWithFullFloor(0.8) });
    expect(reachable?.bound).not.toContain('beyond PostgreSQL alone');
    expect(reachable?.wouldMove).toContain('≤ 0.10 ms per command');
  });

  it('bounds the relay by what held it back against the raw producer', () => {
    const relay = {
      throughput: {
        runs: [
          {
            relay: 'default, retention 0 (delete)',
            medianRelay: 16_000,
            medianRaw: 24_000,
            ratioSpread: spreadOf(0.67),
            cpuMsPer1000Rows: { raw: { bench: 50, kafka: 5 }, relay: { relay: 45, postgres: 25, kafka: 6 } },
          },
        ],
      },
    } as unknown as RelayBenchResult;
    const [row] = targetBounds(2, { relay });
    // 16,000 rows/s × 0.076 ms = 1.22 cores; the relay's thread 0.72 of a core: it waited.
    expect(row?.bound).toContain(
      "The relay's rounds: 16,000/s at 76.00 ms (relay 45.00, PostgreSQL 25.00, Kafka 6.00) per 1,000 rows",
    );
    expect(row?.bound).toContain(
      '1.22 of the 2 cores busy, so neither the cores nor one process were the limit',
    );
    expect(row?.bound).toContain('If both were CPU-bound the ratio would be 0.72× (measured 0.67×)');
  });

  describe('the control: an HTTP exchange whose server does nothing', () => {
    // Paced at 500/s: 0.6 ms of CPU per exchange, server and client; back to back 0.075 ms
    // (server 0.035) at 20,000/s.
    const bareExchange = {
      paced: [{ rate: 500, perSecond: 500, serverMs: 0.25, clientMs: 0.35, totalMs: 0.6 }],
      closedLoop: { connections: 64, perSecond: 20_000, serverMs: 0.035, clientMs: 0.04, totalMs: 0.075 },
    };
    const at500 = {
      rate: 500,
      offeredPerSecond: 500,
      cpuPercent: { postgres: 100, dispatcher: 90 },
      cpuMsPerCommand: cpu({ postgres: 2, dispatcher: 1.8 }),
      spread: { ingestP99: spreadOf(90), endToEndP99: spreadOf(190) },
    };
    const e2e = (control: typeof bareExchange | undefined) =>
      ({
        latency: [at500],
        ...(control ? { bareExchange: control } : {}),
        wal: { bytesPerCommand: spreadOf(4_000) },
        throughput: {},
      }) as unknown as EndToEndResult;

    it('prices the two HTTP exchanges of a command at 500/s against the cores', () => {
      const [row] = targetBounds(2, { e2e: e2e(bareExchange) });
      expect(row?.target).toBe('ingest POST → 202 p99 (< 20 ms) and end to end p99 (< 50 ms) at 500/s');
      expect(row?.bound).toContain(
        'cost 0.60 ms of CPU, server and client, paced at 500/s, 8.00× its 0.075 ms back to back',
      );
      expect(row?.bound).toContain('1.20 ms of the 4.00 ms per command the cores have at 500/s');
      const [without] = targetBounds(2, { e2e: e2e(undefined) });
      expect(without?.bound).not.toContain('does nothing');
    });

    it('sets replays against the fastest the route answered', () => {
      // Ingest at 1,000/s: 5× is 5,000/s, 0.25× of the route's 20,000/s; replays 0.24 ms in the API.
      const [within] = targetBounds(2, { ingest: ingestResult(0.95, 4), e2e: e2e(bareExchange) });
      expect(within?.bound).toContain('answered 20,000/s at 0.035 ms of its process per exchange');
      expect(within?.bound).toContain('5× of ingest, 5,000/s, is 0.25× of it.');
      expect(within?.bound).toContain('0.205 ms per replay beyond the route');
      expect(within?.wouldMove).toContain(
        '(0.240 ms now, of which a route that does nothing takes 0.035 ms)',
      );
      const slowRoute = { ...bareExchange, closedLoop: { ...bareExchange.closedLoop, perSecond: 4_000 } };
      const [beyond] = targetBounds(2, { ingest: ingestResult(0.95, 4), e2e: e2e(slowRoute) });
      expect(beyond?.bound).toContain('is 1.25× of it, beyond what HTTP on this stack answers');
    });
  });
});
