import { failUnpublishedMessages } from '@exactly/message-store';
import {
  type ClaimedRow,
  type ClaimRequest,
  claimOutboxRows,
  deletePublishedOutboxRows,
  deleteSettledClaims,
  forgetOutboxClaim,
  markOutboxPublished,
  type OutboxBacklog,
  readOrphanedClaims,
  readOutboxBacklog,
  setAsideOutboxRows,
} from '@exactly/outbox';
import { inTransaction, type Orm, runSql } from '@exactly/persistence';

/**
 * The outbox as the relay reads and changes it: each call on a fresh entity manager, through the
 * functions of `@exactly/outbox` (which owns the tables and says what each statement does).
 */
export class OutboxStore {
  private readonly orm: Orm;
  /** Where the `MessageFailed` of a command set aside is published. */
  private readonly eventsTopic: string;

  constructor(orm: Orm, eventsTopic: string) {
    this.orm = orm;
    this.eventsTopic = eventsTopic;
  }

  claim(request: ClaimRequest): Promise<ClaimedRow[]> {
    return claimOutboxRows(this.orm.em.fork(), request);
  }

  markPublished(
    ids: readonly string[],
    options: { deleteOnPublish: boolean; relayId: string; finished: readonly number[] },
  ): Promise<void> {
    return markOutboxPublished(this.orm.em.fork(), ids, options);
  }

  forgetClaim(relayId: string, batch: number, ids?: readonly string[]): Promise<void> {
    return forgetOutboxClaim(this.orm.em.fork(), relayId, batch, ids);
  }

  orphanedClaims(relayId: string, shards: readonly number[]): Promise<string[]> {
    return readOrphanedClaims(this.orm.em.fork(), relayId, shards);
  }

  deleteSettledClaims(relayId: string): Promise<number> {
    return deleteSettledClaims(this.orm.em.fork(), relayId);
  }

  /**
   * Moves unpublishable rows to `outbox_set_aside` with their reason and, in the same
   * transaction, ends each command's message that is still `accepted` with `MessageFailed`
   * (reason `unpublishable: ...`), its projection and its events-topic row: a command that never
   * reaches Kafka would otherwise leave its message `accepted` for ever. Returns those messages.
   */
  setAside(rows: readonly { id: string; reason: string }[]): Promise<number> {
    return inTransaction(this.orm, async (tx) =>
      failUnpublishedMessages(tx, await setAsideOutboxRows(tx, rows), { topic: this.eventsTopic }),
    );
  }

  deletePublished(retentionMs: number, limit: number): Promise<number> {
    return deletePublishedOutboxRows(this.orm.em.fork(), retentionMs, limit);
  }

  stats(): Promise<OutboxBacklog> {
    return readOutboxBacklog(this.orm.em.fork());
  }

  async ping(): Promise<void> {
    await runSql(this.orm.em.fork(), 'SELECT 1');
  }
}
