import type { Logger } from '@exactly/observability';
import { type Orm, runSql } from '@exactly/persistence';
import type { Registry } from 'prom-client';
import { type BoundedTable, boundedTables } from './boundedTables.js';
import { type CommandsTopicRetention, commandsTopicProblem } from './commandsTopicProblem.js';
import { createMaintenanceMetrics } from './createMaintenanceMetrics.js';
import { deleteExpiredRows } from './deleteExpiredRows.js';
import { ensurePartitions } from './ensurePartitions.js';
import { expirePartitions } from './expirePartitions.js';
import type { MaintenanceSettings } from './maintenanceSettings.js';
import { type PartitionedGroup, partitionedGroups } from './partitionedTables.js';

export interface MaintenanceJobOptions {
  orm: Orm;
  logger: Logger;
  registry: Registry;
  settings: Pick<
    MaintenanceSettings,
    | 'MAINTENANCE_INTERVAL'
    | 'MESSAGE_RETENTION'
    | 'INBOX_RETENTION'
    | 'RELAY_MAX_LAG'
    | 'DEAD_LETTER_RETENTION'
    | 'SET_ASIDE_RETENTION'
    | 'WEBHOOK_DELIVERY_RETENTION'
    | 'PARTITIONS_AHEAD'
    | 'MAINTENANCE_DELETE_BATCH'
    | 'MAINTENANCE_LOCK_TIMEOUT'
  >;
  /** The partitioned tables and the bounded ones (defaults: every one the project has). */
  groups?: readonly PartitionedGroup[];
  bounded?: readonly BoundedTable[];
  /**
   * Reads the live commands topic's retention.ms and segment.ms; a group that is
   * `checkedAgainstCommandsTopic` (the inbox) drops no day unless the topic fits its retention.
   */
  readCommandsTopic?: () => Promise<CommandsTopicRetention>;
}

export interface MaintenanceRun {
  outcome: 'done' | 'busy';
  created: string[];
  dropped: string[];
  blocked: { partition: string; reference: string }[];
  /** Groups whose expired days were not dropped at all this run, and why. */
  skipped: { group: string; problem: string }[];
  deleted: Record<string, number>;
}

export interface MaintenanceJob {
  runOnce(): Promise<MaintenanceRun>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * The project's own partition manager: every run creates the days ahead, drops the partitions
 * past retention that nothing refers to, and deletes the expired rows of the small tables. Safe
 * with many instances: each step's transaction takes one advisory lock, and an instance that finds
 * it taken leaves the run to the holder.
 */
export function createMaintenanceJob(options: MaintenanceJobOptions): MaintenanceJob {
  const { orm, logger, settings } = options;
  const groups = options.groups ?? partitionedGroups;
  const bounded = options.bounded ?? boundedTables;
  const metrics = createMaintenanceMetrics(options.registry);
  const lockTimeoutMs = settings.MAINTENANCE_LOCK_TIMEOUT;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function work(): Promise<MaintenanceRun> {
    const run: MaintenanceRun = {
      outcome: 'done',
      created: [],
      dropped: [],
      blocked: [],
      skipped: [],
      deleted: {},
    };
    const busy = () => ({ ...run, outcome: 'busy' as const });
    // The database's clock decides what is expired, never this process's.
    const { rows } = await runSql<{ now: string }>(
      orm.em.fork(),
      'SELECT (extract(epoch FROM now()) * 1000)::bigint AS now',
    );
    const nowMs = Number(rows[0]?.now);
    for (const group of groups) {
      for (const table of group.tables) {
        const created = await ensurePartitions(orm, table, {
          nowMs,
          aheadDays: settings.PARTITIONS_AHEAD,
          lockTimeoutMs,
        });
        if (created === 'busy') return busy();
        run.created.push(...created);
        metrics.partitionsCreated.inc({ table: table.table }, created.length);
      }
      const retentionMs = settings[group.retentionSetting];
      const problem =
        group.checkedAgainstCommandsTopic && Number.isFinite(retentionMs)
          ? await commandsTopicProblem(options.readCommandsTopic, {
              inboxRetentionMs: retentionMs,
              relayMaxLagMs: settings.RELAY_MAX_LAG,
            })
          : undefined;
      if (problem !== undefined) {
        run.skipped.push({ group: group.name, problem });
        metrics.expirySkipped.inc({ group: group.name });
        logger.error({ group: group.name, problem }, `${group.name} partitions not dropped`);
      }
      const expired = await expirePartitions(orm, group, {
        nowMs,
        retentionMs: problem === undefined ? retentionMs : Number.POSITIVE_INFINITY,
        lockTimeoutMs,
      });
      for (const { table, partition } of expired.dropped) {
        run.dropped.push(partition);
        metrics.partitionsDropped.inc({ table });
      }
      for (const table of group.tables) {
        const blocked = expired.blocked.filter((entry) => entry.table === table.table);
        metrics.partitionsBlocked.set({ table: table.table }, blocked.length);
        run.blocked.push(...blocked.map(({ partition, reference }) => ({ partition, reference })));
        const strayTable = `${table.table}_default`;
        // Under the same topic check as the days: a stray row may be redelivered as long as any.
        if (table.defaultRowsExpireBy !== undefined && problem === undefined && !expired.busy) {
          const deleted = await deleteExpiredRows(
            orm,
            { table: strayTable, key: table.column, timeColumn: table.defaultRowsExpireBy },
            { retentionMs, batchSize: settings.MAINTENANCE_DELETE_BATCH, maxBatches: 100, lockTimeoutMs },
          );
          if (deleted === 'busy') return busy();
          run.deleted[strayTable] = deleted;
          metrics.rowsDeleted.inc({ table: strayTable }, deleted);
        }
        const { rows: stray } = await runSql<{ n: string }>(
          orm.em.fork(),
          `SELECT count(*) AS n FROM (SELECT 1 FROM ${strayTable} LIMIT 10000) AS capped`,
        );
        metrics.defaultPartitionRows.set({ table: table.table }, Number(stray[0]?.n ?? 0));
      }
      if (expired.busy) return busy();
    }
    for (const table of bounded) {
      const deleted = await deleteExpiredRows(orm, table, {
        retentionMs: settings[table.retentionSetting],
        batchSize: settings.MAINTENANCE_DELETE_BATCH,
        maxBatches: 100,
        lockTimeoutMs,
      });
      if (deleted === 'busy') return busy();
      run.deleted[table.table] = deleted;
      metrics.rowsDeleted.inc({ table: table.table }, deleted);
    }
    return run;
  }

  async function runOnce(): Promise<MaintenanceRun> {
    const stopTimer = metrics.runSeconds.startTimer();
    try {
      const run = await work();
      metrics.runs.inc({ outcome: run.outcome });
      if (run.created.length + run.dropped.length + run.blocked.length > 0)
        logger.info(
          { created: run.created, dropped: run.dropped, blocked: run.blocked, deleted: run.deleted },
          'maintenance',
        );
      return run;
    } catch (error) {
      metrics.runs.inc({ outcome: 'failed' });
      throw error;
    } finally {
      stopTimer();
    }
  }

  return {
    runOnce,
    start() {
      const tick = () => {
        running ??= runOnce()
          .catch((error: unknown) => logger.warn({ err: error }, 'maintenance failed; the next run retries'))
          .finally(() => {
            running = undefined;
          });
      };
      tick();
      timer = setInterval(tick, settings.MAINTENANCE_INTERVAL);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
