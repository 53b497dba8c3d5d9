import type { MessageStatus } from '@exactly/contracts';
import type { SqlStatement } from '@exactly/persistence';

export interface ProjectionChange {
  id: string;
  status: MessageStatus;
  version: number;
}

/** The `messages` projection moved with its streams: one statement for the batch. */
export function projectionUpdate(changes: readonly ProjectionChange[]): SqlStatement {
  return {
    text: `UPDATE messages m SET status = v.status, version = v.version, updated_at = now()
       FROM unnest($1::text[], $2::text[], $3::int[]) AS v(id, status, version)
      WHERE m.id = v.id`,
    parameters: [
      changes.map((change) => change.id),
      changes.map((change) => change.status),
      changes.map((change) => change.version),
    ],
  };
}
