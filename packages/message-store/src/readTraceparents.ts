import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The `traceparent` in the metadata of each stream's latest event of `type`, by stream id (streams
 * without one are absent): what a later stage continues the stream's trace from.
 */
export async function readTraceparents(
  em: EntityManager,
  streamIds: readonly string[],
  type: string,
): Promise<Map<string, string>> {
  if (streamIds.length === 0) return new Map();
  // One index probe per stream on the primary key (stream_id, version), newest first.
  const { rows } = await runSql<{ stream_id: string; traceparent: string }>(
    em,
    `SELECT s.stream_id, latest.traceparent
       FROM unnest($1::text[]) AS s(stream_id)
       CROSS JOIN LATERAL (
         SELECT e.metadata->>'traceparent' AS traceparent FROM message_events e
          WHERE e.stream_id = s.stream_id AND e.type = $2
          ORDER BY e.version DESC LIMIT 1) latest
      WHERE latest.traceparent IS NOT NULL`,
    [[...new Set(streamIds)], type],
  );
  return new Map(rows.map((row) => [row.stream_id, row.traceparent]));
}
