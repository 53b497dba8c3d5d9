export { type OutboxStats, type OutboxTopicBacklog, readOutboxStats } from '@exactly/outbox';
export { createAccount } from './accounts/createAccount.js';
export { type AccountSummary, listAccounts } from './accounts/listAccounts.js';
export { type ApiKeySummary, listApiKeys } from './accounts/listApiKeys.js';
export { type AccountRevocation, revokeAccountKeys } from './accounts/revokeAccountKeys.js';
export { findStuckCommands, inFlightStatuses, type StuckCommand } from './audit/findStuckCommands.js';
export { countDeadLetters } from './deadLetters/countDeadLetters.js';
export {
  type DeadLetterFilter,
  type DeadLetterSummary,
  listDeadLetters,
} from './deadLetters/listDeadLetters.js';
export { listMessageDeadLetters, type MessageDeadLetter } from './deadLetters/listMessageDeadLetters.js';
export {
  type RedriveOutcome,
  type RedriveSelection,
  redriveDeadLetters,
  redriveHeader,
} from './deadLetters/redriveDeadLetters.js';
export { type EffectAttempt, listEffectAttempts } from './effects/listEffectAttempts.js';
export { type EffectSummary, readEffect } from './effects/readEffect.js';
export {
  type ConsumerGroupReport,
  type DescribeGroupsOptions,
  describeConsumerGroups,
  type GroupMember,
  type GroupTopic,
  type PartitionLag,
} from './groups/describeConsumerGroups.js';
export { readStoredOffsets, type StoredOffsets } from './groups/readStoredOffsets.js';
export { countHeldMessages, type HeldMessage, listHeldMessages } from './held/listHeldMessages.js';
export {
  type HeldDecision,
  type HeldResolution,
  type HeldResolutionOutcome,
  resolveHeldMessage,
} from './held/resolveHeldMessage.js';
export { type InboxEntry, readInboxEntry } from './inbox/readInboxEntry.js';
export {
  commitGroupOffsets,
  type OffsetCommitOutcome,
  type PartitionOffset,
} from './kafka/commitGroupOffsets.js';
export { type PartitionRange, readTopicOffsets } from './kafka/readTopicOffsets.js';
export { type MessageRecord, readMessage } from './messages/readMessage.js';
export { readMessageEvents, type StoredMessageEvent } from './messages/readMessageEvents.js';
export { type MessageMatch, type MessageSearch, searchMessages } from './messages/searchMessages.js';
export {
  checkMessageProjections,
  type ProjectionCheck,
  type ProjectionCheckOptions,
} from './projections/checkMessageProjections.js';
export {
  computeReplayPlan,
  type ReplayPartition,
  type ReplayPlan,
  type ReplayRefusal,
  type ReplayRefusalReason,
  type ReplayStart,
  type ReplayState,
} from './replay/computeReplayPlan.js';
export { executeReplay, type ReplayOutcome } from './replay/executeReplay.js';
export { horizonSetBy, type InboxRetention, inboxHorizon } from './replay/inboxHorizon.js';
export {
  formatDuration,
  planReplay,
  type ReplayDependencies,
  type ReplayRequest,
} from './replay/planReplay.js';
export { readRecordTimestamps } from './replay/readRecordTimestamps.js';
export {
  type ReprocessReport,
  type ReprocessRequest,
  reprocessMessageEvents,
} from './replay/reprocessMessageEvents.js';
export {
  listScheduledSends,
  type ScheduledSendState,
  type ScheduledSendSummary,
  type ScheduledSends,
} from './scheduled/listScheduledSends.js';
export {
  addCount,
  type BucketCounts,
  type CountedTable,
  countRange,
  maxPosition,
  mergeCounts,
  positionAt,
} from './throughput/countByPosition.js';
export { countedDeadLetters, countedMessageEvents } from './throughput/countedTables.js';
