import type { Logger } from '@exactly/observability';
import type { Orm } from '@exactly/persistence';
import { delay } from '../delay.js';
import { type ReleaseOptions, releaseDueSends } from './releaseDueSends.js';

export interface SchedulerOptions extends ReleaseOptions {
  orm: Orm;
  logger: Logger;
  /** How often due sends are looked for; a full batch looks again at once. */
  pollIntervalMs: number;
  /** After sends were released (to wake the relay). */
  onReleased?: (count: number) => void;
}

export interface Scheduler {
  start(): void;
  stop(): Promise<void>;
}

/**
 * The loop that releases scheduled sends when due. Polling the table is the whole mechanism: no
 * timer holds a send, so a restart, a crash or another dispatcher loses nothing and repeats nothing.
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { orm, logger } = options;
  const controller = new AbortController();
  let running: Promise<void> | undefined;

  async function loop(): Promise<void> {
    while (!controller.signal.aborted) {
      let released = 0;
      try {
        released = await releaseDueSends(orm, options);
        if (released > 0) options.onReleased?.(released);
      } catch (error) {
        logger.warn({ err: error }, 'releasing scheduled sends failed; the next round retries');
      }
      if (released < options.batchSize) await delay(options.pollIntervalMs, controller.signal);
    }
  }

  return {
    start() {
      running ??= loop();
    },
    async stop() {
      controller.abort();
      await running;
    },
  };
}
