import type { EntityManager } from '@mikro-orm/postgresql';
import { CompiledQuery } from 'kysely';

/**
 * Runs parameterised SQL ($1, $2...) on the entity manager's connection, inside its transaction
 * when it has one. For hot paths that need `INSERT ... ON CONFLICT`, multi-row `unnest` inserts
 * or `FOR UPDATE SKIP LOCKED`: MikroORM's own `em.execute` inlines parameters into the SQL text
 * on the client, which costs time on large bodies and clashes with jsonb's `?` operator.
 */
export async function runSql<Row = Record<string, unknown>>(
  em: EntityManager,
  text: string,
  parameters: readonly unknown[] = [],
): Promise<{ rows: Row[]; rowCount: number }> {
  const result = await em.getKysely().executeQuery<Row>(CompiledQuery.raw(text, [...parameters]));
  return { rows: result.rows, rowCount: Number(result.numAffectedRows ?? result.rows.length) };
}
