export { type BoundedTable, boundedTables } from './boundedTables.js';
export { type CommandsTopicRetention, commandsTopicProblem } from './commandsTopicProblem.js';
export {
  createMaintenanceJob,
  type MaintenanceJob,
  type MaintenanceJobOptions,
  type MaintenanceRun,
} from './createMaintenanceJob.js';
export { createMaintenanceMetrics, type MaintenanceMetrics } from './createMaintenanceMetrics.js';
export { deleteExpiredRows } from './deleteExpiredRows.js';
export { ensurePartitions } from './ensurePartitions.js';
export { type ExpireResult, expirePartitions } from './expirePartitions.js';
export { hotTableShardKeys } from './hotTableShardKeys.js';
export { dayMs, idBoundAt, partitionName, timeOfIdBound, utcDayStart } from './idBoundAt.js';
export { listPartitions, type RangePartition } from './listPartitions.js';
export { maintenanceLockKey, tryMaintenanceLock } from './maintenanceLock.js';
export { type MaintenanceSettings, maintenanceSettings, retentionWindowsOf } from './maintenanceSettings.js';
export {
  inboxGroup,
  type LiveReference,
  messageGroup,
  type PartitionedGroup,
  type PartitionedTable,
  partitionedGroups,
} from './partitionedTables.js';
export {
  assertRetentionWindows,
  type RetentionWindowProblem,
  type RetentionWindows,
  retentionWindowProblems,
} from './retentionWindows.js';
