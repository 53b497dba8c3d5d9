import type { DispatcherBenchResult } from '../dispatcher.ts';
import type { EndToEndResult } from '../endToEnd.ts';
import type { IngestBenchResult } from '../ingest.ts';
import type { RelayBenchResult } from '../relay.ts';
import type { CpuPerUnit } from './processes.ts';
import { cpuMsPer } from './processes.ts';
import { cpuBoundRatio, cpuBudget, cpuCeiling, cpuText, targetBounds } from './targetBounds.ts';

const cpu = (parts: Record<string, number>): CpuPerUnit => {
  const total = Object.entries(parts)
    .filter(([program]) => program !== 'other')
    .reduce((sum, [, ms]) => sum + ms, 0);
  return { ...parts, total } as CpuPerUnit;
};
const spreadOf = (median: number) => ({ median, min: median, max: median, rounds: [median] });

const ingestResult = (ingestToCeiling: number, replaysToIngest: number, withCpu = true) =>
  ({
    ratios: { ingestToCeiling: spreadOf(ingestToCeiling), replaysToIngest: spreadOf(replaysToIngest) },
    cpuMsPerCommand: withCpu
      ? {
          api: cpu({ 'ingest-api': 0.4, postgres: 0.3, bench: 0.3 }),
          replays: cpu({ 'ingest-api': 0.2, bench: 0.1 }),
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

  it('explains a missed ingest ratio from the CPU of the API rounds against the grouped SQL', () => {
    const [row] = targetBounds(2, { ingest: ingestResult(0.45, 6) });
    expect(row?.target).toMatch(/^ingest vs raw SQL/);
    // API 1.0 ms, SQL 0.5 ms per command: at most 0.50×; 0.9× needs the API at 0.56 ms.
    expect(row?.bound).toContain('at most 0.50× (measured 0.45×)');
    expect(row?.bound).toContain('allows 2,000/s to the API and 4,000/s to the SQL');
    expect(row?.wouldMove).toContain('≤ 0.56 ms per command');
  });

  it('explains a missed replay ratio from what a replay costs against a new command', () => {
    const rows = targetBounds(2, { ingest: ingestResult(0.95, 2.5) });
    expect(rows.map((row) => row.target)).toEqual(['replays vs ingest (≥ 5×)']);
    expect(rows[0]?.bound).toContain('at most 3.33× (measured 2.50×)');
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
      throughput: { single: phase(700, 2.5), batch: phase(5_000, 0.3) },
    } as unknown as EndToEndResult;
    const rows = targetBounds(2, { e2e });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.bound).toContain('at most 800/s (measured 700/s');
    expect(rows[0]?.wouldMove).toContain('≤ 1.00 ms per command');
    expect(rows[0]?.wouldMove).toContain('(2.50× less)');
  });

  it('bounds WAL per command by the row writes it takes, and the dispatcher by its floor', () => {
    const dispatcher = {
      throughput: {
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
    expect(floor?.bound).toContain('At most 0.20× by CPU alone (measured 0.20×)');
    expect(floor?.wouldMove).toContain('≤ 0.10 ms per command');
  });

  it('bounds the relay by its CPU per row against the raw producer', () => {
    const relay = {
      throughput: {
        runs: [
          {
            relay: 'default, retention 0 (delete)',
            ratioSpread: spreadOf(0.63),
            cpuMsPer1000Rows: { raw: { bench: 50, kafka: 5 }, relay: { relay: 45, postgres: 25, kafka: 6 } },
          },
        ],
      },
    } as unknown as RelayBenchResult;
    const [row] = targetBounds(2, { relay });
    expect(row?.bound).toContain("the relay's rounds 76.0 ms");
    expect(row?.bound).toContain('at most 0.72× by CPU alone (measured 0.63×)');
    expect(row?.wouldMove).toContain('≤ 68.8 ms per 1,000 rows');
  });
});
