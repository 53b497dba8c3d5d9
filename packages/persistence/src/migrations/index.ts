import { Migration20261122000001Foundation } from './Migration20261122000001Foundation.js';
import { Migration20261122000002MessagesAndOutbox } from './Migration20261122000002MessagesAndOutbox.js';
import { Migration20261122000010Ingest } from './Migration20261122000010Ingest.js';
import { Migration20261122000020Relay } from './Migration20261122000020Relay.js';
import { Migration20261122000030Dispatcher } from './Migration20261122000030Dispatcher.js';
import { Migration20261122000040DeadLetterRedrives } from './Migration20261122000040DeadLetterRedrives.js';
import { Migration20261122000050MessagesHotUpdates } from './Migration20261122000050MessagesHotUpdates.js';
import { Migration20261204000100HeldEffects } from './Migration20261204000100HeldEffects.js';
import { Migration20261204000200ConsumerOffsetTopicId } from './Migration20261204000200ConsumerOffsetTopicId.js';
import { Migration20261204000300RecordedSettings } from './Migration20261204000300RecordedSettings.js';
import { Migration20261204000400KeyNames } from './Migration20261204000400KeyNames.js';
import { Migration20261204002000Templates } from './Migration20261204002000Templates.js';
import { Migration20261204003000ScheduledSends } from './Migration20261204003000ScheduledSends.js';
import { Migration20261204004000Webhooks } from './Migration20261204004000Webhooks.js';
import { Migration20261204005000TimePartitions } from './Migration20261204005000TimePartitions.js';
import { Migration20261204006000WebhookRetention } from './Migration20261204006000WebhookRetention.js';
import { Migration20261204007000InboxPartitions } from './Migration20261204007000InboxPartitions.js';
import { Migration20261206000100EffectsFillfactor } from './Migration20261206000100EffectsFillfactor.js';
import { Migration20261207000100RequireWritten } from './Migration20261207000100RequireWritten.js';

/** Every migration, oldest first. A new migration is a new file here; an applied one never changes. */
export const migrations = [
  Migration20261122000001Foundation,
  Migration20261122000002MessagesAndOutbox,
  Migration20261122000010Ingest,
  Migration20261122000020Relay,
  Migration20261122000030Dispatcher,
  Migration20261122000040DeadLetterRedrives,
  Migration20261122000050MessagesHotUpdates,
  Migration20261204000100HeldEffects,
  Migration20261204000200ConsumerOffsetTopicId,
  Migration20261204000300RecordedSettings,
  Migration20261204000400KeyNames,
  Migration20261204002000Templates,
  Migration20261204003000ScheduledSends,
  Migration20261204004000Webhooks,
  Migration20261204005000TimePartitions,
  Migration20261204006000WebhookRetention,
  Migration20261204007000InboxPartitions,
  Migration20261206000100EffectsFillfactor,
  Migration20261207000100RequireWritten,
];
