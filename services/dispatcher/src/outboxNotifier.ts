import type { Logger } from '@exactly/observability';
import { notifyOutbox, type Orm } from '@exactly/persistence';

/**
 * Wakes the relays after commits that queued outbox rows, at most once per `intervalMs`: a NOTIFY
 * per batch would cost a round trip each and add nothing the next one does not already say.
 */
export function createOutboxNotifier(orm: Orm, logger: Logger, intervalMs = 25) {
  let timer: NodeJS.Timeout | undefined;
  let sending: Promise<void> | undefined;
  const send = () => {
    timer = undefined;
    sending = notifyOutbox(orm.em.fork())
      .catch((error: unknown) => logger.warn({ err: error }, 'outbox notify failed (relays still poll)'))
      .finally(() => {
        sending = undefined;
      });
  };
  return {
    notify() {
      timer ??= setTimeout(send, intervalMs);
    },
    async close() {
      if (timer) {
        clearTimeout(timer);
        send();
      }
      await sending;
    },
  };
}
