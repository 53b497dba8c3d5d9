import type { MessageStatus } from '@exactly/contracts';
import { runSql, type SqlStatement } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

/** A `messages` row's new status and version, moved with its stream. */
export interface ProjectionChange {
  id: string;
  status: MessageStatus;
  version: number;
}

/**
 * The one statement that moves `messages` projections (the live writers, the repair and the
 * replay all use it): one UPDATE for the whole batch, where the ORM would issue one per row.
 */
export function projectionUpdateStatement(changes: readonly ProjectionChange[]): SqlStatement {
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

/** Runs `projectionUpdateStatement` inside the caller's transaction (nothing when there are no changes). */
export async function updateProjections(
  em: EntityManager,
  changes: readonly ProjectionChange[],
): Promise<void> {
  if (changes.length === 0) return;
  const statement = projectionUpdateStatement(changes);
  await runSql(em, statement.text, statement.parameters);
}
