import type { Logger } from '@exactly/observability';
import { notifyOutbox, type Orm } from '@exactly/persistence';

/**
 * Wakes the relays after commits, at most one NOTIFY at a time: commits that land while one is
 * on its way are covered by one more afterwards. NOTIFY runs outside the write transactions, so
 * it never takes PostgreSQL's global commit lock inside them.
 */
export function createOutboxNotifier(orm: Orm, logger: Logger): { notify(): void; close(): Promise<void> } {
  let running: Promise<void> | undefined;
  let again = false;
  const run = (): void => {
    running = notifyOutbox(orm.em.fork())
      .catch((error: unknown) => logger.warn({ err: error }, 'outbox NOTIFY failed; the relay polls anyway'))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          run();
        }
      });
  };
  return {
    notify() {
      if (running) again = true;
      else run();
    },
    async close() {
      while (running) await running;
    },
  };
}
