import type { MessageStatus } from '@exactly/contracts';
import { inTransaction, type Orm, runSql } from '@exactly/persistence';
import { foldStatus } from './foldStatus.js';
import { type ProjectionChange, updateProjections } from './projectionUpdate.js';

/** An event as read back from the message-events topic. */
export interface ReadEvent {
  streamId: string;
  version: number;
  type: string;
}

export interface ProjectionAdvance {
  /** Events the projection did not have yet and now has. */
  applied: number;
  alreadyApplied: number;
  /** Events not applied because an earlier version of their stream is missing from what was given. */
  gaps: number;
  /** Events of streams that have no `messages` row (the projection cannot be created from events alone). */
  missingRows: number;
  rowsChanged: number;
}

/**
 * Applies to the `messages` projection, in one transaction, each event it has not seen yet, in
 * stream order, with the same status fold as the live writers (the rebuild from a replayed topic).
 * Idempotent: an event at or below a row's version is skipped, so applying the same events again
 * changes nothing, and live writers can run meanwhile (the rows are locked).
 */
export async function advanceProjections(orm: Orm, events: readonly ReadEvent[]): Promise<ProjectionAdvance> {
  const counts = { applied: 0, alreadyApplied: 0, gaps: 0, missingRows: 0, rowsChanged: 0 };
  if (events.length === 0) return counts;
  const byStream = new Map<string, ReadEvent[]>();
  for (const event of events) byStream.set(event.streamId, [...(byStream.get(event.streamId) ?? []), event]);
  return inTransaction(orm, async (tx) => {
    const { rows } = await runSql<{ id: string; status: MessageStatus; version: number }>(
      tx,
      'SELECT id, status, version FROM messages WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE',
      [[...byStream.keys()]],
    );
    const live = new Map(rows.map((row) => [row.id, row]));
    const changed: ProjectionChange[] = [];
    for (const [streamId, streamEvents] of byStream) {
      const row = live.get(streamId);
      if (row === undefined) {
        counts.missingRows += streamEvents.length;
        continue;
      }
      const next = { ...row };
      for (const event of streamEvents.sort((a, b) => a.version - b.version)) {
        if (event.version <= next.version) counts.alreadyApplied += 1;
        else if (event.version === next.version + 1) {
          next.status = foldStatus(next.status, event.type) ?? next.status;
          next.version = event.version;
          counts.applied += 1;
        } else counts.gaps += 1;
      }
      if (next.version !== row.version || next.status !== row.status) changed.push(next);
    }
    await updateProjections(tx, changed);
    counts.rowsChanged = changed.length;
    return counts;
  });
}
