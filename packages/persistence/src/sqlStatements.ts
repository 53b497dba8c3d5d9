import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql } from './runSql.js';

/** One parameterised statement ($1, $2...) not yet sent. */
export interface SqlStatement {
  text: string;
  parameters: readonly unknown[];
}

/**
 * Runs independent writes (INSERT, UPDATE or DELETE without RETURNING) in one round trip: each
 * becomes a data-modifying CTE of one statement, its placeholders renumbered after the ones
 * before it. PostgreSQL runs every CTE of the statement, all on the same snapshot, so none of them
 * may depend on another's rows. The texts must not hold `$n` other than as placeholders.
 */
export async function runStatements(em: EntityManager, statements: readonly SqlStatement[]): Promise<void> {
  const [only] = statements;
  if (only === undefined) return;
  if (statements.length === 1) {
    await runSql(em, only.text, only.parameters);
    return;
  }
  await runSql(em, ...combineStatements(statements));
}

/** The text and parameters of `statements` as one statement (see `runStatements`). */
export function combineStatements(statements: readonly SqlStatement[]): [string, unknown[]] {
  const parameters: unknown[] = [];
  const parts = writesAsCtes(statements, parameters);
  return [`WITH ${parts.join(',\n')}\nSELECT 1`, parameters];
}

/**
 * `statements` as data-modifying CTEs (`w0 AS (...)`, `w1 AS (...)`...) for a statement of the
 * caller's: their parameters are appended to `parameters`, their placeholders renumbered to match.
 */
export function writesAsCtes(statements: readonly SqlStatement[], parameters: unknown[]): string[] {
  return statements.map((statement, index) => {
    const offset = parameters.length;
    parameters.push(...statement.parameters);
    const text = statement.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    return `w${index} AS (${text})`;
  });
}
