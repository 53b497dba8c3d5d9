import type { Logger } from '@exactly/observability';
import type { Orm } from '@exactly/persistence';
import { notifyOutbox } from './notifyOutbox.js';

export interface OutboxNotifier {
  /** Says that a commit queued outbox rows; the relays are woken soon after. */
  notify(): void;
  /** Sends what is still due and waits for it. */
  close(): Promise<void>;
}

export interface OutboxNotifierOptions {
  /**
   * How long a first `notify` waits before its NOTIFY, gathering the commits that follow
   * (default 0: at once). The dispatcher commits a batch every few milliseconds and gathers;
   * the ingest API's commits wait for no one.
   */
  intervalMs?: number;
}

/**
 * Wakes the relays after commits, with at most one NOTIFY on its way at a time: the commits that
 * land meanwhile are covered by one more NOTIFY afterwards, so a burst of commits costs two round
 * trips, not one each. NOTIFY runs outside the write transactions, so it never takes
 * PostgreSQL's global commit lock inside them. A failed NOTIFY is logged: the relays poll anyway.
 */
export function createOutboxNotifier(
  orm: Orm,
  logger: Logger,
  { intervalMs = 0 }: OutboxNotifierOptions = {},
): OutboxNotifier {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  const run = (): void => {
    timer = undefined;
    running = notifyOutbox(orm.em.fork())
      .catch((error: unknown) => logger.warn({ err: error }, 'outbox NOTIFY failed; the relays poll anyway'))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          schedule();
        }
      });
  };
  const schedule = (): void => {
    if (intervalMs <= 0) run();
    else timer = setTimeout(run, intervalMs);
  };
  return {
    notify() {
      if (running) again = true;
      else if (timer === undefined) schedule();
    },
    async close() {
      while (timer !== undefined || running !== undefined) {
        if (timer !== undefined) {
          clearTimeout(timer);
          run();
        }
        await running;
      }
    },
  };
}
