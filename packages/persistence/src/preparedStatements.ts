import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';

/**
 * Names each parameterised statement, so that every pooled connection parses and analyses it once
 * (a server-side prepared statement) instead of on every execution (`pg` sends an unnamed
 * statement otherwise). `ormConfig` plans each execution afresh (`plan_cache_mode =
 * force_custom_plan`) unless a transaction allows kept plans; see test/bench/REPORT.md, "Applied
 * after an earlier run", for what it saved.
 *
 * Only the first `limit` distinct texts of the process are named: a text built with values in it
 * would otherwise leave a new prepared statement on every connection each time. Statements without
 * parameters stay simple queries (they may hold several statements, as `BEGIN; SET LOCAL ...`
 * does).
 */
export function prepareRepeatedStatements(pool: Pool, { limit }: { limit: number }): void {
  const names = new StatementNames(limit);
  pool.on('connect', (client: PoolClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (text: unknown, values?: unknown, callback?: unknown) => {
      if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0) {
        return query(text, values, callback);
      }
      const name = names.nameOf(text);
      return name === undefined ? query(text, values, callback) : query({ name, text, values }, callback);
    };
  });
}

/** The prepared statement name of each text, for the first `limit` distinct texts. */
export class StatementNames {
  readonly #names = new Map<string, string>();

  constructor(private readonly limit: number) {}

  nameOf(text: string): string | undefined {
    const known = this.#names.get(text);
    if (known !== undefined || this.#names.size >= this.limit) return known;
    // A digest, not a counter: a text has the same name in every process, so the services'
    // sessions list it alike in pg_prepared_statements.
    const name = `exactly_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    this.#names.set(text, name);
    return name;
  }
}
