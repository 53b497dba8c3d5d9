import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The channel the relay LISTENs on. Writers NOTIFY it after their transaction commits, never
 * inside it: a NOTIFY inside a transaction takes a global lock at commit and would serialise
 * every writer's commits.
 */
export const outboxChannel = 'exactly_outbox';

/** Wakes the relays; call after the transaction that enqueued records committed. */
export async function notifyOutbox(em: EntityManager): Promise<void> {
  await runSql(em, `SELECT pg_notify('${outboxChannel}', '')`);
}
