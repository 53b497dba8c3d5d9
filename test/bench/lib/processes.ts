// What the machine's processes cost: CPU time and resident memory per program, read from /proc
// (the same numbers `ps` shows), and the load average over a run.

import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { serviceEntry } from '@exactly/testkit';
import { median, round } from './stats.ts';

const clockTicks = 100;

/** The services' entry points (those built), to know their processes by command line. */
const serviceEntries = ['ingest-api', 'relay', 'dispatcher'].flatMap((service): [string, string][] => {
  try {
    return [[service, serviceEntry(service)]];
  } catch {
    return [];
  }
});

/** Names a process by its command line: the servers, the services, the peers, this process. */
function programOf(pid: number, command: string): string | undefined {
  if (command.includes('kafka.Kafka')) return 'kafka';
  if (command.startsWith('postgres')) return 'postgres';
  for (const [service, entry] of serviceEntries) if (command.includes(entry)) return service;
  const peer = /bench\/peers\/(\w+)\.ts/.exec(command)?.[1];
  if (peer) return peer;
  if (pid === process.pid) return 'bench';
  return undefined;
}

/** CPU seconds of one process in user space and in the kernel. */
export function cpuTimes(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks.
  return { user: Number(fields[11]) / clockTicks, system: Number(fields[12]) / clockTicks };
}

/** CPU seconds (user + system) of one process. */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/** Resident memory (VmRSS) of one process, in MiB. */
export function residentMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1_024);
}

/** CPU seconds of every live process, by pid, with the program it belongs to ('other' if none). */
function cpuByPid(): Map<number, { program: string; seconds: number }> {
  const out = new Map<number, { program: string; seconds: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      out.set(pid, { program: programOf(pid, command) ?? 'other', seconds: cpuSeconds(pid) });
    } catch {
      // The process ended while we read it.
    }
  }
  return out;
}

/** CPU seconds of every process we can name, summed by program. */
export function cpuByProgram(): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const { program, seconds } of cpuByPid().values()) totals[program] = (totals[program] ?? 0) + seconds;
  return totals;
}

/**
 * Share of one core each program used between `start()` and `stop()`, in percent. Sampled per
 * process every 500 ms and summed by increments, so a process that ends in between (a pooled
 * PostgreSQL backend closed when idle) keeps what it used instead of taking its whole past away.
 */
export function cpuMeter() {
  const started = performance.now();
  const last = cpuByPid();
  const used: Record<string, number> = {};
  const sample = () => {
    for (const [pid, now] of cpuByPid()) {
      const before = last.get(pid);
      // A process keeps the program it had when first seen (an exiting one, a zombie, has an
      // empty command line). A new one counts what it used since it started: during the meter.
      const program = before?.program ?? now.program;
      const delta = now.seconds - (before?.seconds ?? 0);
      if (delta > 0) used[program] = (used[program] ?? 0) + delta;
      last.set(pid, { program, seconds: now.seconds });
    }
  };
  const timer = setInterval(sample, 500);
  timer.unref();
  let stoppedAt: number | undefined;
  return {
    stop(): Record<string, number> {
      clearInterval(timer);
      if (stoppedAt === undefined) {
        sample();
        stoppedAt = performance.now();
      }
      const wall = (stoppedAt - started) / 1_000;
      return Object.fromEntries(
        Object.entries(used)
          .map(([program, seconds]): [string, number] => [program, round((seconds / wall) * 100)])
          .filter(([, percent]) => percent > 0)
          .sort((a, b) => b[1] - a[1]),
      );
    },
    /**
     * CPU milliseconds each program used per unit of work (`count` commands, rows...) while the
     * meter ran, and their `total` without `other` (processes not ours); read after `stop()`.
     */
    msPer(count: number): CpuPerUnit {
      return cpuMsPer(used, count);
    },
  };
}

/** CPU ms per unit of work by program, `total` being ours (every program but `other`). */
export type CpuPerUnit = Record<string, number> & { total: number };

export function cpuMsPer(secondsByProgram: Record<string, number>, count: number): CpuPerUnit {
  const perUnit: Record<string, number> = {};
  let total = 0;
  for (const [program, seconds] of Object.entries(secondsByProgram)) {
    const ms = (seconds * 1_000) / Math.max(1, count);
    perUnit[program] = round(ms, 3);
    if (program !== 'other') total += ms;
  }
  return { ...perUnit, total: round(total, 3) };
}

/** The median of each program's CPU per unit over rounds of one figure. */
export function medianCpu(rounds: readonly CpuPerUnit[]): CpuPerUnit | undefined {
  if (rounds.length === 0) return undefined;
  const programs = new Set(rounds.flatMap((perUnit) => Object.keys(perUnit)));
  const out: Record<string, number> = {};
  for (const program of programs) out[program] = median(rounds.map((perUnit) => perUnit[program] ?? 0));
  return out as CpuPerUnit;
}

export interface LoadSummary {
  samples: number;
  min: number;
  mean: number;
  max: number;
  /** The 1-minute load average every 10 s, for the report. */
  series: [number, number][];
}

/** Samples the 1-minute load average every 10 s until stopped. */
export function loadSampler() {
  const started = performance.now();
  const series: [number, number][] = [[0, loadavg()[0] as number]];
  const timer = setInterval(
    () => series.push([round((performance.now() - started) / 1_000, 0), loadavg()[0] as number]),
    10_000,
  );
  timer.unref();
  return {
    stop(): LoadSummary {
      clearInterval(timer);
      series.push([round((performance.now() - started) / 1_000, 0), loadavg()[0] as number]);
      const values = series.map(([, value]) => value);
      return {
        samples: values.length,
        min: round(Math.min(...values), 2),
        mean: round(values.reduce((sum, value) => sum + value, 0) / values.length, 2),
        max: round(Math.max(...values), 2),
        series,
      };
    },
  };
}

export interface MemorySeries {
  /** Seconds since the sampler started, and RSS in MiB. */
  points: [number, number][];
  firstMb: number;
  maxMb: number;
  lastMb: number;
}

/** Samples the resident memory of named processes every `intervalMs` until stopped. */
export function memorySampler(pids: Record<string, number | undefined>, intervalMs = 1_000) {
  const started = performance.now();
  const points: Record<string, [number, number][]> = {};
  const sample = () => {
    const at = round((performance.now() - started) / 1_000);
    for (const [name, pid] of Object.entries(pids)) {
      if (pid === undefined) continue;
      try {
        const series = points[name] ?? [];
        points[name] = series;
        series.push([at, residentMb(pid)]);
      } catch {
        // The process has ended.
      }
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    /** Marks the current time (seconds since start) so phases can be cut out of the series. */
    now: () => round((performance.now() - started) / 1_000),
    stop(): Record<string, MemorySeries> {
      clearInterval(timer);
      sample();
      return Object.fromEntries(
        Object.entries(points).map(([name, series]) => {
          const values = series.map(([, mb]) => mb);
          return [
            name,
            {
              points: series,
              firstMb: values[0] ?? Number.NaN,
              maxMb: Math.max(...values),
              lastMb: values.at(-1) ?? Number.NaN,
            },
          ];
        }),
      );
    },
  };
}

/** One scrape of a /metrics URL, read with the test kit's `metricValue` (every read sees the same moment). */
export async function scrape(url: string): Promise<{ metrics(): string }> {
  const text = await (await fetch(url)).text();
  return { metrics: () => text };
}
