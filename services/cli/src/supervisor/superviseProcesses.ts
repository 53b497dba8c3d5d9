import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '@exactly/errors';
import { askReadiness } from '@exactly/observability';

export type SupervisorEvent =
  | { event: 'started'; instance: number; pid: number; url: string; restarts: number }
  | { event: 'ready'; instance: number; pid: number }
  | {
      event: 'exited';
      instance: number;
      pid: number;
      code: number | null;
      signal: string | null;
      restartInMs: number;
    }
  | { event: 'gave_up'; instance: number; reason: string; lastOutput: string[] }
  | { event: 'stopping' }
  | { event: 'stopped' };

export interface SupervisorOptions {
  instances: number;
  /** Starts instance `instance` (1-based); its ops server answers at `url`. */
  spawn: (instance: number) => { child: ChildProcess; url: string };
  onEvent: (event: SupervisorEvent) => void;
  onOutput?: (instance: number, line: string) => void;
  /** First restart delay's ceiling; doubles up to `maxBackoffMs` while an instance keeps crashing, each wait between half of it and all of it (default 1 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Consecutive exits without ever becoming ready after which everything stops (default 5). */
  maxFailedStarts?: number;
  /** How long stopping waits for SIGTERM before SIGKILL (default 20 s). */
  stopGraceMs?: number;
}

interface Instance {
  number: number;
  child?: ChildProcess;
  exited?: Promise<void>;
  failedStarts: number;
  restarts: number;
  /** Exits in a row without a minute of being ready: the retry number of the shared backoff. */
  crashStreak: number;
  output: string[];
}

/**
 * Runs N processes and restarts one that exits, with the project's backoff (doubling, equal
 * jitter) while it keeps crashing, reset once it was ready for a while. Stops everything (SIGTERM, then SIGKILL after
 * the grace) when `signal` aborts, or when an instance keeps exiting before it is ready (a
 * configuration error restarts cannot fix). Resolves with how it ended.
 */
export async function superviseProcesses(
  options: SupervisorOptions,
  signal: AbortSignal,
): Promise<'stopped' | 'gave_up'> {
  const backoffMs = options.backoffMs ?? 1_000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const maxFailedStarts = options.maxFailedStarts ?? 5;
  const instances: Instance[] = Array.from({ length: options.instances }, (_, index) => ({
    number: index + 1,
    failedStarts: 0,
    restarts: 0,
    crashStreak: 0,
    output: [],
  }));
  const gaveUp = new AbortController();
  const stop = AbortSignal.any([signal, gaveUp.signal]);
  let outcome: 'stopped' | 'gave_up' = 'stopped';

  const keepRunning = async (instance: Instance) => {
    while (!stop.aborted) {
      const { child, url } = options.spawn(instance.number);
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.once('exit', (code, exitSignal) => resolve({ code, signal: exitSignal })),
      );
      instance.child = child;
      instance.exited = exited.then(() => undefined);
      for (const stream of [child.stdout, child.stderr]) {
        if (!stream) continue;
        createInterface({ input: stream }).on('line', (line) => {
          instance.output.push(line);
          if (instance.output.length > 30) instance.output.shift();
          options.onOutput?.(instance.number, line);
        });
      }
      const startedAt = Date.now();
      options.onEvent({
        event: 'started',
        instance: instance.number,
        pid: child.pid ?? 0,
        url,
        restarts: instance.restarts,
      });
      let ready = false;
      const readiness = (async () => {
        while (child.exitCode === null && child.signalCode === null && !stop.aborted) {
          if ((await askReadiness(url, child.pid, 1_000)).state === 'ready') {
            ready = true;
            options.onEvent({ event: 'ready', instance: instance.number, pid: child.pid ?? 0 });
            return;
          }
          await sleep(250);
        }
      })();
      const ended = await exited;
      await readiness;
      if (stop.aborted) return;
      if (ready) instance.failedStarts = 0;
      else instance.failedStarts += 1;
      if (ready && Date.now() - startedAt > 60_000) instance.crashStreak = 0;
      if (instance.failedStarts >= maxFailedStarts) {
        outcome = 'gave_up';
        options.onEvent({
          event: 'gave_up',
          instance: instance.number,
          reason: `it exited ${instance.failedStarts} times in a row before becoming ready`,
          lastOutput: [...instance.output],
        });
        gaveUp.abort();
        return;
      }
      const wait = backoffDelay(instance.crashStreak, {
        initialDelayMs: backoffMs,
        maxDelayMs: maxBackoffMs,
        jitter: 'equal',
      });
      instance.crashStreak += 1;
      options.onEvent({
        event: 'exited',
        instance: instance.number,
        pid: child.pid ?? 0,
        code: ended.code,
        signal: ended.signal,
        restartInMs: wait,
      });
      await sleep(wait, undefined, { signal: stop }).catch(() => undefined);
      instance.restarts += 1;
    }
  };

  const loops = instances.map((instance) => keepRunning(instance));
  await new Promise<void>((resolve) => {
    if (stop.aborted) resolve();
    stop.addEventListener('abort', () => resolve(), { once: true });
  });
  options.onEvent({ event: 'stopping' });
  const graceMs = options.stopGraceMs ?? 20_000;
  await Promise.all(
    instances.map(async (instance) => {
      const child = instance.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await instance.exited;
      clearTimeout(timer);
    }),
  );
  await Promise.all(loops);
  options.onEvent({ event: 'stopped' });
  return outcome;
}
