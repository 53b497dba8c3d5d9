import type { EntityManager } from '@mikro-orm/postgresql';
import type { SendRequest } from './provider.js';

/**
 * A provider whose send is a write in the dispatcher's own database: the send is made inside the
 * transaction that records its outcome, so the two commit together or not at all. Such a call is
 * never ambiguous and needs no write-ahead record: a crash before that commit sent nothing.
 */
export interface SendsWithOutcome {
  /** Makes the sends in `tx`; returns the keys sent now, each with when (the others are replays). */
  write(tx: EntityManager, requests: readonly SendRequest[]): Promise<Map<string, string>>;
  /** After `tx` committed: what follows a send outside the database (the log provider's file line). */
  committed(requests: readonly SendRequest[], sentAt: ReadonlyMap<string, string>): void;
}
