import { claimDueSends, releaseScheduledSends } from '@exactly/message-store';
import { inTransaction, type Orm } from '@exactly/persistence';
import { scheduledCommandRecord } from './scheduledCommandRecord.js';

export interface ReleaseOptions {
  commandsTopic: string;
  eventsTopic: string;
  /** Sends released per transaction at most. */
  batchSize: number;
}

/**
 * One round of the scheduler: in one transaction, claims due sends (`FOR UPDATE SKIP LOCKED`, so
 * schedulers side by side never claim one row twice), queues their commands in the outbox, marks
 * them released and appends `ScheduledSendReleased`. A crash before COMMIT leaves them pending for
 * the next round; after it, they are in the outbox and never claimed again. Returns how many.
 */
export async function releaseDueSends(orm: Orm, options: ReleaseOptions): Promise<number> {
  return inTransaction(orm, async (em) => {
    const due = await claimDueSends(em, options.batchSize);
    await releaseScheduledSends(
      em,
      due,
      due.map((send) => scheduledCommandRecord(options.commandsTopic, send)),
      { topic: options.eventsTopic, at: new Date() },
    );
    return due.length;
  });
}
