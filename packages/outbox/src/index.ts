export {
  deletePublishedOutboxRows,
  deleteSettledClaims,
  forgetOutboxClaim,
  markOutboxPublished,
  markStatement,
  readOrphanedClaims,
} from './claimJournal.js';
export {
  type ClaimedRow,
  type ClaimRequest,
  claimOutboxRows,
  claimStatement,
  outboxSessionSettings,
} from './claimOutboxRows.js';
export {
  createOutboxNotifier,
  type OutboxNotifier,
  type OutboxNotifierOptions,
} from './createOutboxNotifier.js';
export { enqueueOutbox, enqueueOutboxStatement, type OutboxEntry } from './enqueueOutbox.js';
export { notifyOutbox, outboxChannel } from './notifyOutbox.js';
export { type OutboxBacklog, readOutboxBacklog } from './readOutboxBacklog.js';
export { type OutboxStats, type OutboxTopicBacklog, readOutboxStats } from './readOutboxStats.js';
export { type SetAsideCommand, setAsideOutboxRows } from './setAsideOutboxRows.js';
export {
  beatRelayHeartbeat,
  forgetDeadRelays,
  releaseShardLeases,
  removeRelayHeartbeat,
  renewShardLeases,
  type ShardLeaseRow,
  takeFreeShardLeases,
} from './shardLeaseRows.js';
