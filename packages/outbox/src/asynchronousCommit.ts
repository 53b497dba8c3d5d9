/**
 * A condition that makes the statement's own transaction commit without waiting for its WAL
 * flush (`synchronous_commit = off` for that transaction only: `set_config(..., true)`), for the
 * relay's claim and mark, which run in autocommit. Written as an uncorrelated sub-select, so
 * PostgreSQL evaluates it once, before any row is written.
 *
 * Why it is safe: a commit is visible to every session at once either way; only a PostgreSQL
 * crash can lose the last few hundred milliseconds of such commits, and always a suffix of the
 * WAL. A lost claim journal entry only makes a later publish of its rows uncounted as a
 * re-publish; a lost mark (or delete) makes its rows, and every later row of theirs, unpublished
 * again, so they are published again in order (duplicates the dispatcher's inbox drops). The
 * shard leases, which order the relays, stay synchronous.
 *
 * Why it matters: each claim is on the path from a commit to its record, and with fsync on a
 * commit waited 3 ms at the median and 10-14 ms at the tail for the WAL flush on the bench
 * machine (0.3 ms without).
 */
export const asynchronousCommit = `(SELECT set_config('synchronous_commit', 'off', true)) = 'off'`;
